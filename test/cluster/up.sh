#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 for the tests: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and (unless NETIDS_CLUSTER_KWOK=0) kwok with fake
# nodes. Builds the binaries first if they are not cached. Reuses a healthy running cluster.
# Everything lives in $NETIDS_CLUSTER_DIR (see env.sh); down.sh removes it.
# The last line printed is the path of the admin kubeconfig.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

S="$NETIDS_CLUSTER_DIR"
BIN="$NETIDS_CLUSTER_BIN"
KUBECTL="$BIN/kubectl"
up_start=$SECONDS

# One up.sh or down.sh at a time per state directory (tests and a person may both start it).
cluster_lock
export NETIDS_CLUSTER_LOCKED=1

# Dies after printing the end of a component's log.
die_with_log() {
  local name="$1"; shift
  if [[ -f "$S/logs/$name.log" ]]; then
    printf '[cluster] --- last lines of %s ---\n' "$S/logs/$name.log" >&2
    tail -n 30 "$S/logs/$name.log" >&2
  fi
  cluster_die "$*"
}

pid_alive() { [[ -f "$S/pids/$1.pid" ]] && kill -0 "$(cat "$S/pids/$1.pid")" 2>/dev/null; }

components() {
  printf '%s\n' etcd kube-apiserver kube-controller-manager kube-scheduler
  [[ "$(cat "$S/kwok.enabled" 2>/dev/null || echo 0)" == 1 ]] && echo kwok
  return 0
}

# --- reuse a running cluster ---------------------------------------------------------------------
if [[ -d "$S" ]]; then
  healthy=1
  [[ -f "$S/ready" && -x "$KUBECTL" ]] || healthy=0
  if ((healthy)); then
    for c in $(components); do pid_alive "$c" || healthy=0; done
  fi
  if ((healthy)) && "$KUBECTL" --kubeconfig "$S/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    cluster_log "reusing the running cluster in $S"
    echo "$S/kubeconfig"
    exit 0
  fi
  cluster_log "$S holds a cluster that is not healthy: removing it"
  bash "$NETIDS_CLUSTER_SRC/down.sh"
fi

bash "$NETIDS_CLUSTER_SRC/build.sh"
[[ -x "$NETIDS_ETCD" ]] || cluster_die "etcd not found at $NETIDS_ETCD"
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  [[ -x "$BIN/$b" ]] || cluster_die "$BIN/$b is missing after build.sh"
done
[[ "$NETIDS_CLUSTER_KWOK" == 0 || -x "$BIN/kwok" ]] || cluster_die "$BIN/kwok is missing after build.sh"
command -v openssl >/dev/null || cluster_die "openssl is not installed"
command -v curl >/dev/null || cluster_die "curl is not installed"

start_time=$SECONDS
phase() { cluster_log "+$((SECONDS - start_time))s $*"; }
# On failure, stop what was started but keep the logs (down.sh removes them).
on_exit() {
  local rc=$?
  if ((rc != 0)); then
    NETIDS_CLUSTER_KEEP_STATE=1 bash "$NETIDS_CLUSTER_SRC/down.sh" || true
    cluster_log "up.sh failed; logs kept in $S/logs (npm run cluster:down removes them)"
  fi
}
trap on_exit EXIT
mkdir -p "$S"/{pki,logs,pids,etcd,kubeconfigs}
chmod 0700 "$S"
[[ "$NETIDS_CLUSTER_KWOK" == 0 ]] && echo 0 >"$S/kwok.enabled" || echo 1 >"$S/kwok.enabled"

# --- ports ---------------------------------------------------------------------------------------
# Free ports chosen by the kernel, unless fixed through the environment.
read -r p1 p2 p3 p4 p5 p6 < <(node -e '
  const net = require("node:net");
  Promise.all(Array.from({ length: 6 }, () => new Promise((ok) => {
    const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s));
  }))).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });')
ETCD_PORT="${NETIDS_CLUSTER_ETCD_PORT:-$p1}"
ETCD_PEER_PORT="${NETIDS_CLUSTER_ETCD_PEER_PORT:-$p2}"
API_PORT="${NETIDS_CLUSTER_API_PORT:-$p3}"
KCM_PORT="${NETIDS_CLUSTER_KCM_PORT:-$p4}"
SCHED_PORT="${NETIDS_CLUSTER_SCHEDULER_PORT:-$p5}"
KWOK_PORT="${NETIDS_CLUSTER_KWOK_PORT:-$p6}"
cat >"$S/ports.env" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
KWOK_PORT=$KWOK_PORT
EOF
SERVER="https://127.0.0.1:$API_PORT"

# --- processes -----------------------------------------------------------------------------------
# start NAME CMD...: runs CMD in its own session, logs into logs/NAME.log, pid into pids/NAME.pid.
start() {
  local name="$1"; shift
  setsid "$@" >"$S/logs/$name.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$S/pids/$name.pid"
}

# wait_for NAME SECONDS DESCRIPTION CMD...: polls CMD until it succeeds; fails early if NAME died.
wait_for() {
  local name="$1" secs="$2" what="$3"; shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    pid_alive "$name" || die_with_log "$name" "$name exited while waiting for $what"
    ((SECONDS < deadline)) || die_with_log "$name" "timed out after ${secs}s waiting for $what"
    sleep 0.1
  done
}

# etcd needs no certificate (it listens on loopback only): start it while keys are made.
start etcd "$NETIDS_ETCD" \
  --name netids-test --data-dir "$S/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "netids-test=http://127.0.0.1:$ETCD_PEER_PORT" \
  --log-level warn --unsafe-no-fsync

# --- certificates and keys -----------------------------------------------------------------------
P="$S/pki"
openssl_q() { openssl "$@" 2>>"$S/logs/openssl.log"; }
openssl_q genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$P/ca.key"
openssl_q req -x509 -new -key "$P/ca.key" -subj "/CN=netids-test-ca" -days 3650 -sha256 -out "$P/ca.crt"

# issue NAME SUBJECT EXTENSIONS: a P-256 key and a certificate signed by the CA.
issue() { cluster_issue_cert "$P" "$1" "$2" "$3" 365; }
client_ext='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
# Keys and certificates are made in parallel (openssl is slow to start many times in a row).
issue apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:$NETIDS_SERVICE_FIRST_IP" &
key_jobs=($!)
issue admin "/O=system:masters/CN=netids-admin" "$client_ext" &
key_jobs+=($!)
# The controller manager runs every controller under its own identity (no per-controller
# service-account credentials: that costs seconds at start), so it needs full rights.
issue controller-manager "/O=system:masters/CN=system:kube-controller-manager" "$client_ext" &
key_jobs+=($!)
issue scheduler "/CN=system:kube-scheduler" "$client_ext" &
key_jobs+=($!)
issue kwok "/O=system:masters/CN=kwok" "$client_ext" &
key_jobs+=($!)
# Service-account token signing key pair (P-256: tokens are signed ES256).
(openssl_q genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$P/sa.key" &&
  openssl_q pkey -in "$P/sa.key" -pubout -out "$P/sa.pub") &
key_jobs+=($!)
for job in "${key_jobs[@]}"; do wait "$job" || cluster_die "making keys and certificates failed (see $S/logs/openssl.log)"; done
chmod 0600 "$P"/*.key

# write_kubeconfig FILE CERT_NAME: a kubeconfig with the CA and client certificate embedded.
write_kubeconfig() { cluster_write_kubeconfig "$1" "$SERVER" "$2" "$P/$2.crt" "$P/$2.key"; }
write_kubeconfig "$S/kubeconfig" admin
write_kubeconfig "$S/kubeconfigs/controller-manager" controller-manager
write_kubeconfig "$S/kubeconfigs/scheduler" scheduler
write_kubeconfig "$S/kubeconfigs/kwok" kwok

phase "keys and certificates made"
wait_for etcd 30 "etcd health" curl -sf "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --cert-dir "$S/pki" --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
  --client-ca-file "$P/ca.crt" \
  --authorization-mode Node,RBAC \
  --allow-privileged=true \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-cluster-ip-range "$NETIDS_SERVICE_CIDR" \
  --profiling=false -v 1
phase "etcd ready"
curl_api() { curl -sf --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "$SERVER$1"; }
wait_for kube-apiserver 60 "kube-apiserver /readyz" curl_api /readyz

phase "kube-apiserver ready"
common_flags=(--bind-address 127.0.0.1 --leader-elect=false --profiling=false -v 1)
start kube-controller-manager "$BIN/kube-controller-manager" "${common_flags[@]}" \
  --secure-port "$KCM_PORT" --cert-dir "$S/pki/controller-manager" \
  --kubeconfig "$S/kubeconfigs/controller-manager" \
  --authentication-kubeconfig "$S/kubeconfigs/controller-manager" \
  --authorization-kubeconfig "$S/kubeconfigs/controller-manager" \
  --use-service-account-credentials=false \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
  --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
  --service-cluster-ip-range "$NETIDS_SERVICE_CIDR" \
  --controllers '*'
start kube-scheduler "$BIN/kube-scheduler" "${common_flags[@]}" \
  --secure-port "$SCHED_PORT" --cert-dir "$S/pki/scheduler" \
  --kubeconfig "$S/kubeconfigs/scheduler" \
  --authentication-kubeconfig "$S/kubeconfigs/scheduler" \
  --authorization-kubeconfig "$S/kubeconfigs/scheduler"

k() { "$KUBECTL" --kubeconfig "$S/kubeconfig" "$@"; }

if [[ "$NETIDS_CLUSTER_KWOK" != 0 ]]; then
  # An explicit (empty) configuration, so that nothing is read from the home directory.
  printf 'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n' >"$S/kwok.yaml"
  start kwok "$BIN/kwok" \
    --kubeconfig "$S/kubeconfigs/kwok" --config "$S/kwok.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-ip 127.0.0.1 --cidr "$NETIDS_POD_CIDR" \
    --server-address "127.0.0.1:$KWOK_PORT"
  # Fake nodes, tainted so that only pods that tolerate kwok.x-k8s.io/node=fake land on them
  # (NETIDS_CLUSTER_FAKE_NODE_TAINT=0 leaves them untainted).
  nodes=""
  for ((i = 0; i < NETIDS_CLUSTER_FAKE_NODES; i++)); do
    taints=""
    [[ "${NETIDS_CLUSTER_FAKE_NODE_TAINT:-1}" == 0 ]] ||
      taints=$'  taints:\n  - {key: kwok.x-k8s.io/node, value: fake, effect: NoSchedule}'
    nodes+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    type: kwok
spec:
$taints
status:
  allocatable: {cpu: \"32\", memory: 256Gi, pods: \"110\"}
  capacity: {cpu: \"32\", memory: 256Gi, pods: \"110\"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
"
  done
  [[ "$nodes" == "" ]] || printf '%s' "$nodes" | k apply -f - >"$S/logs/nodes.log" 2>&1 \
    || die_with_log nodes "creating the fake nodes failed"
fi

phase "controller manager and scheduler started$([[ "$NETIDS_CLUSTER_KWOK" != 0 ]] && echo ", kwok started and fake nodes made")"
curl_local() { curl -skf "https://127.0.0.1:$1/healthz"; }
wait_for kube-controller-manager 60 "kube-controller-manager /healthz" curl_local "$KCM_PORT"
wait_for kube-scheduler 60 "kube-scheduler /healthz" curl_local "$SCHED_PORT"
wait_for kube-controller-manager 60 "the default service account" k get serviceaccount default -n default
phase "controller manager and scheduler healthy, default service account made"
if [[ "$NETIDS_CLUSTER_KWOK" != 0 && "$NETIDS_CLUSTER_FAKE_NODES" -gt 0 ]]; then
  nodes_ready() {
    [[ "$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" == "$NETIDS_CLUSTER_FAKE_NODES" ]]
  }
  wait_for kwok 60 "$NETIDS_CLUSTER_FAKE_NODES Ready fake nodes" nodes_ready
fi

touch "$S/ready"
cluster_log "cluster ready in $((SECONDS - start_time)) s (up.sh total $((SECONDS - up_start)) s): API $SERVER, state in $S"
echo "$S/kubeconfig"
