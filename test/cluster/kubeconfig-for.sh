#!/usr/bin/env bash
# Usage: kubeconfig-for.sh USER [GROUP...]
# Mints a client certificate for USER (and GROUPs) with the running test cluster's CA and writes a
# kubeconfig for it into the state directory. Prints the kubeconfig path. The user has no rights
# until RBAC grants them, so tests can check the project's Roles and ClusterRoles.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[[ $# -ge 1 && "$1" =~ ^[A-Za-z0-9:._@-]+$ ]] || cluster_die "usage: kubeconfig-for.sh USER [GROUP...] (USER: letters, digits, : . _ @ -)"
user="$1"; shift
S="$NETIDS_CLUSTER_DIR"
P="$S/pki"
[[ -f "$S/ready" && -f "$P/ca.key" ]] || cluster_die "no running cluster in $S (npm run cluster:up)"

subj=""
for g in "$@"; do
  [[ "$g" =~ ^[A-Za-z0-9:._@-]+$ ]] || cluster_die "bad group name: $g"
  [[ "$g" != system:masters ]] || cluster_die "system:masters would bypass RBAC: use the admin kubeconfig"
  subj+="/O=$g"
done
subj+="/CN=$user"

safe="${user//[:@]/_}"
dir="$(mktemp -d "$S/kubeconfigs/user-$safe.XXXXXX")"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/client.key" 2>/dev/null
openssl req -new -key "$dir/client.key" -subj "$subj" -out "$dir/client.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$dir/client.ext"
openssl x509 -req -in "$dir/client.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 -extfile "$dir/client.ext" -out "$dir/client.crt" 2>/dev/null
server="$(sed -n 's/^ *server: //p' "$S/kubeconfig" | head -1)"
cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: netids-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$P/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$dir/client.crt")
    client-key-data: $(base64 -w0 "$dir/client.key")
contexts:
- name: netids-test
  context:
    cluster: netids-test
    user: $user
current-context: netids-test
EOF
chmod 0600 "$dir/kubeconfig" "$dir/client.key"
rm -f "$dir/client.csr" "$dir/client.ext"
echo "$dir/kubeconfig"
