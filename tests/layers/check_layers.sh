#!/usr/bin/env bash
# The engine's layers, lowest first: a file may include the headers of its
# own layer and of the layers before it, never of one after it. The same
# order as engine/CMakeLists.txt, where each layer's library links only
# those before it. And the libraries that only some layers may include.
#
# Usage: check_layers.sh [SOURCE_DIR]   (default: this script's tree)
set -u

LAYERS=(base scenario grader exercise range console cli)
# system header (as included) -> the layers that may include it
declare -A ONLY_IN=(
    ["libvirt/"]="range cli"
    ["sqlite3.h"]="exercise range"
)

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
dir_of() { [ "$1" = grader ] && echo "$root/grader" || echo "$root/engine/$1"; }

declare -A rank header_layer
for i in "${!LAYERS[@]}"; do
    layer=${LAYERS[$i]}
    rank[$layer]=$i
    d=$(dir_of "$layer")
    if [ ! -d "$d" ]; then
        echo "check_layers: layer '$layer' has no folder $d" >&2
        exit 1
    fi
    for h in "$d"/*.h; do
        [ -e "$h" ] || continue
        name=$(basename "$h")
        if [ -n "${header_layer[$name]:-}" ]; then
            echo "check_layers: $name is in two layers (${header_layer[$name]}, $layer)" >&2
            exit 1
        fi
        header_layer[$name]=$layer
    done
done
for d in "$root"/engine/*/; do
    name=$(basename "$d")
    if [ -z "${rank[$name]:-}" ]; then
        echo "check_layers: engine/$name/ is no layer: add it to LAYERS" >&2
        exit 1
    fi
done

bad=0
for layer in "${LAYERS[@]}"; do
    d=$(dir_of "$layer")
    for f in "$d"/*.c "$d"/*.h; do
        [ -e "$f" ] || continue
        rel=${f#"$root"/}
        while IFS=: read -r line text; do
            if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
                inc=${BASH_REMATCH[1]}
                to=${header_layer[$(basename "$inc")]:-}
                if [ -n "$to" ] && [ "${rank[$to]}" -gt "${rank[$layer]}" ]; then
                    echo "$rel:$line: the $layer layer includes $inc of the $to layer above it"
                    bad=1
                fi
            elif [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
                inc=${BASH_REMATCH[1]}
                for prefix in "${!ONLY_IN[@]}"; do
                    if [[ $inc == "$prefix"* ]] && [[ " ${ONLY_IN[$prefix]} " != *" $layer "* ]]; then
                        echo "$rel:$line: the $layer layer includes <$inc>, which only ${ONLY_IN[$prefix]} may"
                        bad=1
                    fi
                done
            fi
        done < <(grep -n '#[[:space:]]*include' "$f")
    done
done
if [ "$bad" -ne 0 ]; then
    echo "check_layers: includes across layers (order: ${LAYERS[*]})" >&2
    exit 1
fi
echo "check_layers: ${#LAYERS[@]} layers, every include at or below its layer"
