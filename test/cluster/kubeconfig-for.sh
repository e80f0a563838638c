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
cluster_issue_cert "$dir" client "$subj" 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth' 30
server="$(sed -n 's/^ *server: //p' "$S/kubeconfig" | head -1)"
cluster_write_kubeconfig "$dir/kubeconfig" "$server" "$user" "$dir/client.crt" "$dir/client.key"
echo "$dir/kubeconfig"
