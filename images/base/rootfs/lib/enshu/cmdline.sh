# Reads the engine's kernel parameters into ENSHU_HOSTNAME (default: the image
# name), ENSHU_NET (MAC,IP/PREFIX items joined by "+") and ENSHU_GW.
read_cmdline() {
  ENSHU_IMAGE=$(cat /etc/enshu/image)
  ENSHU_HOSTNAME=$ENSHU_IMAGE
  ENSHU_NET=
  ENSHU_GW=
  set -f
  for arg in $(cat /proc/cmdline); do
    case "$arg" in
      enshu.hostname=?*) ENSHU_HOSTNAME=${arg#*=} ;;
      enshu.net=?*) ENSHU_NET=${arg#*=} ;;
      enshu.gw=?*) ENSHU_GW=${arg#*=} ;;
    esac
  done
  set +f
  export ENSHU_IMAGE ENSHU_HOSTNAME ENSHU_NET ENSHU_GW
}
