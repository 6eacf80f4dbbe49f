# Loads the kernel modules of group $1 in the dependency order build.sh wrote
# to /lib/modules/load-order ("GROUP MODULE" lines; there is no modules.dep).
load_modules() {
  while read -r group mod; do
    [ "$group" = "$1" ] || continue
    insmod "/lib/modules/$mod.ko" || log "insmod $mod failed"
  done < /lib/modules/load-order
  log "modules: $1 loaded"
}
