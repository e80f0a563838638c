#!/usr/bin/env bash
# Stops the test control plane started by up.sh and removes its state directory.
# Safe to run when nothing is running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

S="$NETIDS_CLUSTER_DIR"
cluster_lock
if [[ ! -d "$S" ]]; then
  cluster_log "no cluster in $S"
  exit 0
fi

# ours PID: true if PID is alive and is one of our processes (its command line names the state dir
# or, for etcd, its data dir), so that a recycled pid is never signalled.
ours() {
  local pid="$1"
  [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$S"
}

# Reverse start order: the API's clients first, etcd last.
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$S/pids/$name.pid"
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  if ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 15))
    while ours "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if ours "$pid"; then
      cluster_log "$name (pid $pid) did not stop on TERM: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      while ours "$pid"; do sleep 0.1; done
    fi
    cluster_log "stopped $name (pid $pid)"
  fi
done

if [[ "${NETIDS_CLUSTER_KEEP_STATE:-0}" == 1 ]]; then
  rm -f "$S/ready"
  exit 0
fi
rm -rf "$S"
cluster_log "removed $S"
