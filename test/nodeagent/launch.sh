#!/usr/bin/env bash
# Starts one container process of the test node agent (which stands in for a kubelet). Runs inside
# the pod's network namespace and in a private mount namespace of its own, so nothing mounted here
# is seen outside, and in a UTS namespace of its own. Usage:
#   launch.sh MOUNTS SCRATCH WORKDIR HOSTNAME -- COMMAND [ARGS...]
#   MOUNTS   file of lines "SOURCE<TAB>TARGET": bind SOURCE (a file or directory) on TARGET
#   SCRATCH  an empty directory; a tmpfs goes there for overlay layers
# A TARGET that does not exist is made inside an overlay of its nearest existing parent directory
# (upper layer on the tmpfs), so the host's file system is never written.
set -euo pipefail
mounts="$1" scratch="$2" workdir="$3" host="$4"
shift 4
[[ "$1" == "--" ]] && shift
mount -t tmpfs -o size=16m netids-e2e "$scratch"
n=0
overlaid=" "
srcs=() dsts=()
while IFS=$'\t' read -r src dst; do
  [[ -n "$src" ]] || continue
  srcs+=("$src")
  dsts+=("$(realpath -m "$dst")")
done <"$mounts"
# Pass 1: mount points (overlays first, so that no bind mount is hidden by a later overlay).
for i in "${!dsts[@]}"; do
  src="${srcs[$i]}" dst="${dsts[$i]}"
  [[ -e "$dst" ]] && continue
  parent="$(dirname "$dst")"
  while [[ ! -e "$parent" ]]; do parent="$(dirname "$parent")"; done
  parent="$(realpath "$parent")"
  if [[ "$parent" == "/" ]]; then
    echo "launch.sh: cannot make mount point $dst (no existing parent below /)" >&2
    exit 1
  fi
  if [[ "$overlaid" != *" $parent "* ]]; then
    n=$((n + 1))
    mkdir -p "$scratch/u$n" "$scratch/w$n"
    mount -t overlay overlay -o "lowerdir=$parent,upperdir=$scratch/u$n,workdir=$scratch/w$n" "$parent"
    overlaid+="$parent "
  fi
  if [[ -d "$src" ]]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")" && : >"$dst"; fi
done
# Pass 2: bind mounts.
for i in "${!dsts[@]}"; do
  mount --bind "${srcs[$i]}" "${dsts[$i]}"
done
hostname "$host"
cd "$workdir"
exec "$@"
