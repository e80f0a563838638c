#!/usr/bin/env bash
# End-to-end test on a real cluster with real containers: kind (Kubernetes in Docker).
#
# NOT run by the project's CI: the CI machines have no container runtime. Run it by hand on a
# machine with Docker, kind, kubectl and helm (it pulls node:20-bookworm-slim, nginx, busybox and
# the kind node image):
#
#   bash test/e2e/kind.sh              # creates cluster "netids-e2e", deletes it at the end
#   NETIDS_KIND_KEEP=1 bash test/e2e/kind.sh    # keep the cluster to look around
#
# Steps: create a kind cluster; build the image from the Dockerfile and load it into the nodes;
# helm install the chart; apply a NetworkIDS with a short learning period; generate ordinary web
# traffic while the model learns; run a TCP port scan from a pod; wait for an Anomaly resource.
# Exits 0 when an Anomaly appears within NETIDS_E2E_TIMEOUT seconds (default 900), 1 otherwise,
# printing the NetworkIDS, the Anomalies and the last detector and sensor logs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="${NETIDS_KIND_CLUSTER:-netids-e2e}"
IMAGE_REPO="${NETIDS_IMAGE_REPO:-netids}"
IMAGE_TAG="${NETIDS_IMAGE_TAG:-e2e}"
NS="${NETIDS_E2E_NAMESPACE:-netids-system}"
APPS_NS="netids-e2e-apps"
NIDS="e2e"
TIMEOUT="${NETIDS_E2E_TIMEOUT:-900}"
KEEP="${NETIDS_KIND_KEEP:-0}"

log() { printf '[e2e] %s\n' "$*" >&2; }
die() { printf '[e2e] error: %s\n' "$*" >&2; exit 1; }
for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

cleanup() {
  local code=$?
  if ((code != 0)); then
    log "failed; state of the cluster:"
    kubectl get nids,anomalies -A -o wide >&2 || true
    kubectl -n "$NS" get pods -o wide >&2 || true
    kubectl -n "$NS" logs "deploy/$NIDS-detector" --tail=40 >&2 || true
    kubectl -n "$NS" logs "ds/$NIDS-sensor" --tail=40 >&2 || true
    kubectl -n "$NS" logs deploy/netids-operator --tail=40 >&2 || true
  fi
  if [[ "$KEEP" == 1 ]]; then
    log "keeping cluster $CLUSTER (kind delete cluster --name $CLUSTER)"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
  exit "$code"
}
trap cleanup EXIT

# Polls a command until it succeeds, for at most $1 seconds.
wait_until() {
  local limit="$1" what="$2"; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for $what"
    sleep 5
  done
}

log "creating kind cluster $CLUSTER"
kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 180s
kubectl config use-context "kind-$CLUSTER" >/dev/null

log "building $IMAGE_REPO:$IMAGE_TAG"
docker build -t "$IMAGE_REPO:$IMAGE_TAG" "$ROOT"
kind load docker-image "$IMAGE_REPO:$IMAGE_TAG" --name "$CLUSTER"

log "installing the chart"
helm upgrade --install netids "$ROOT/charts/netids" -n "$NS" --create-namespace --wait --timeout 180s \
  --set image.repository="$IMAGE_REPO" --set image.tag="$IMAGE_TAG" --set image.pullPolicy=Never
kubectl -n "$NS" rollout status deploy/netids-operator --timeout=120s

log "starting ordinary traffic in $APPS_NS (a web server and a client)"
kubectl create namespace "$APPS_NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$APPS_NS" apply -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: nginx, image: nginx:1.27-alpine, ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
        - name: client
          image: busybox:1.36
          command: ["sh", "-c", "while true; do wget -q -O /dev/null http://web; sleep 0.5; done"]
EOF
kubectl -n "$APPS_NS" rollout status deploy/web --timeout=180s
kubectl -n "$APPS_NS" rollout status deploy/client --timeout=180s

log "applying NetworkIDS $NS/$NIDS (learning for 3 minutes)"
kubectl apply -f - <<EOF
apiVersion: netids.io/v1alpha1
kind: NetworkIDS
metadata: {name: $NIDS, namespace: $NS}
spec:
  imagePullPolicy: Never
  tolerations: [{operator: Exists}]
  detector: {replicas: 1}
  training: {duration: 3m}
  alerting: {minScore: 0.5}
EOF
wait_until 240 "the sensor DaemonSet" kubectl -n "$NS" get ds "$NIDS-sensor"
kubectl -n "$NS" rollout status "ds/$NIDS-sensor" --timeout=240s
kubectl -n "$NS" rollout status "deploy/$NIDS-detector" --timeout=240s
kubectl get nids -n "$NS"

log "waiting for the model to be trained"
wait_until 600 "status.model.state=trained" \
  bash -c "[[ \$(kubectl -n '$NS' get nids '$NIDS' -o jsonpath='{.status.model.state}') == trained ]]"
kubectl get nids -n "$NS"

WEB_IP="$(kubectl -n "$APPS_NS" get pod -l app=web -o jsonpath='{.items[0].status.podIP}')"
[[ -n "$WEB_IP" ]] || die "no web pod IP"
log "port-scanning $WEB_IP (ports 1-1024) from pod $APPS_NS/scanner"
kubectl -n "$APPS_NS" delete pod scanner --ignore-not-found >/dev/null
kubectl -n "$APPS_NS" run scanner --image=busybox:1.36 --restart=Never -- \
  sh -c "for i in 1 2 3; do for p in \$(seq 1 1024); do nc -z -w 1 $WEB_IP \$p 2>/dev/null; done; done"

log "waiting up to ${TIMEOUT}s for an Anomaly"
deadline=$((SECONDS + TIMEOUT))
until [[ -n "$(kubectl -n "$NS" get anomalies -l "netids.io/networkids=$NIDS" -o name 2>/dev/null)" ]]; do
  ((SECONDS < deadline)) || die "no Anomaly after ${TIMEOUT}s"
  sleep 10
done
kubectl -n "$NS" get anomalies -o wide
kubectl get nids -n "$NS"
log "ok: an Anomaly was reported"
