# Starts busybox acpid on the ACPI power button's input device: pressing it
# runs /etc/acpi/PWRF/00000080, which powers the guest off cleanly.
start_acpid() {
  load_modules acpi
  [ -e /dev/input/event0 ] || return 0
  acpid -l /run/acpid.log
}
