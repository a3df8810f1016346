#!/usr/bin/env bash
# labs/clusterlab/lab.sh — the lab's control script: a real etcd + kube-apiserver + kube-controller-manager on
# 127.0.0.1, TLS and RBAC on, OpenShift's CRDs installed, kubeconfigs written to the state folder.
#   up                 build (or find cached) binaries, make PKI, start what is not running, set up the API
#   down               stop the lab's processes and remove the state folder
#   status             what runs, on which port, where the kubeconfigs are (exit 1 when not up)
#   stop|start|restart COMPONENT    one of etcd, kube-apiserver, kube-controller-manager (faults, tests)
#   pause|resume etcd  SIGSTOP / SIGCONT etcd (a slow or hung etcd; tests bound it themselves)
# State: $CLUSTERLAB_STATE (default /tmp/clusterlab). Every listener is on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
STATE=${CLUSTERLAB_STATE:-/tmp/clusterlab}
. "$here/../lib.sh"   # log, die, alive, start_detached, stop_session (shared with devcloud)
LAB_TAG=clusterlab     # log lines "[clusterlab] ..."
. "$here/versions.env"
. "$here/pki.sh"
ETCD_PORT=${CLUSTERLAB_ETCD_PORT:-12379}
ETCD_PEER_PORT=${CLUSTERLAB_ETCD_PEER_PORT:-12380}
API_PORT=${CLUSTERLAB_API_PORT:-16443}
KCM_PORT=${CLUSTERLAB_KCM_PORT:-16257}
# --node-monitor-grace-period: a node whose kubelet stops heartbeating is NotReady (Unknown) this long after its last heartbeat.
NODE_GRACE=${CLUSTERLAB_NODE_GRACE:-8s}
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

now_ms() { date +%s%3N; }

pidfile() { echo "$STATE/run/$1.pid"; }
# The pid in the pid file, only if that process still runs the lab's binary (never a recycled pid).
running_pid() {
  local f pid exe
  f=$(pidfile "$1"); [ -f "$f" ] || return 1
  pid=$(cat "$f"); [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [ "$(basename "${exe% (deleted)}")" = "$1" ] || return 1
  echo "$pid"
}

bin_dir() { cat "$STATE/bin-dir" 2>/dev/null; }

curl_api() { # path [curl args…] — as the admin, TLS verified against the lab CA
  local path=$1; shift
  curl -sS --max-time 5 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" \
    "https://127.0.0.1:$API_PORT$path" "$@"
}

kubeconfig_cert() { # file user cert key
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: clusterlab
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $3
    client-key: $4
contexts:
- name: clusterlab
  context: {cluster: clusterlab, user: $2}
current-context: clusterlab
EOF
  chmod 600 "$1"
}

start_component() {
  local c=$1 bin log args=()
  bin=$(bin_dir)/$c
  log="$STATE/log/$c.log"
  if pid=$(running_pid "$c"); then log "$c already running (pid $pid)"; return 0; fi
  case $c in
    etcd)
      args=(--name clusterlab --data-dir "$STATE/etcd"
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT"
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT"
        --initial-cluster "clusterlab=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls ""
        --unsafe-no-fsync=true --log-level=warn) ;;
    kube-apiserver)
      local P="$STATE/pki"
      args=(--etcd-servers="http://127.0.0.1:$ETCD_PORT"
        --bind-address=127.0.0.1 --secure-port="$API_PORT"
        --advertise-address=127.0.0.1 --endpoint-reconciler-type=none
        --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key"
        --client-ca-file="$P/client-ca.crt"
        --service-account-issuer="https://127.0.0.1:$API_PORT" --api-audiences="https://127.0.0.1:$API_PORT"
        --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key"
        --service-cluster-ip-range=10.0.0.0/24
        --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction
        --allow-privileged=true
        --requestheader-client-ca-file="$P/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client
        --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group
        --requestheader-extra-headers-prefix=X-Remote-Extra-
        --proxy-client-cert-file="$P/front-proxy-client.crt" --proxy-client-key-file="$P/front-proxy-client.key"
        --profiling=false --v=1) ;;
    kube-controller-manager)
      local P="$STATE/pki" kc="$STATE/kubeconfig-kcm"
      # No certificatesigningrequest-approving-controller: nothing approves CSRs behind a test's back.
      args=(--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc"
        --bind-address=127.0.0.1 --secure-port="$KCM_PORT"
        --leader-elect=false --use-service-account-credentials=true
        --controllers=certificatesigningrequest-signing-controller,certificatesigningrequest-cleaner-controller,node-lifecycle-controller,taint-eviction-controller,serviceaccount-controller,namespace-controller,garbage-collector-controller,pod-garbage-collector-controller,root-ca-certificate-publisher-controller
        --cluster-signing-cert-file="$P/csr-signer.crt" --cluster-signing-key-file="$P/csr-signer.key"
        --cluster-signing-duration=720h
        --root-ca-file="$P/ca.crt" --service-account-private-key-file="$P/sa.key"
        --node-monitor-period=1s --node-monitor-grace-period="$NODE_GRACE" --node-startup-grace-period=20s
        --profiling=false --v=1) ;;
    *) die "unknown component '$c' (one of: ${COMPONENTS[*]})" ;;
  esac
  [ -x "$bin" ] || die "no binary $bin: run 'npm run clusterlab:up'"
  echo "=== $(date -u +%FT%TZ) start $c" >> "$log"
  start_detached "$(pidfile "$c")" "$log" "$bin" "${args[@]}"
  log "$c started (pid $!, log $log)"
}

stop_component() {
  local c=$1 pid
  pid=$(running_pid "$c") || { rm -f "$(pidfile "$c")"; return 0; }
  log "$c $(stop_session "$pid" 10)"   # SIGCONT first: a paused etcd must be able to exit
  rm -f "$(pidfile "$c")"
}

wait_until() { # component seconds log command…
  local what=$1 secs=$2 log=$3; shift 3
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    alive "$(cat "$(pidfile "$what")" 2>/dev/null)" || die "$what exited during start; read $log (last line: $(tail -n 1 "$log" | cut -c1-300))"
    [ "$(date +%s)" -lt "$end" ] || die "$what not ready after ${secs}s; read $log"
    sleep 0.3
  done
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
api_ready() { [ "$(curl_api /readyz -o /dev/null -w '%{http_code}')" = 200 ]; }
kcm_healthy() { curl -sf --max-time 2 -k "https://127.0.0.1:$KCM_PORT/healthz" | grep -q ok; }

wait_component() {
  case $1 in
    etcd) wait_until etcd 30 "$STATE/log/etcd.log" etcd_healthy ;;
    kube-apiserver) wait_until kube-apiserver 120 "$STATE/log/kube-apiserver.log" api_ready ;;
    kube-controller-manager) wait_until kube-controller-manager 60 "$STATE/log/kube-controller-manager.log" kcm_healthy ;;
  esac
}

crds_dir() { # the three CRD YAMLs from github.com/openshift/api, cached by version
  local dir="${CLUSTERLAB_CACHE:-$HOME/.cache/clusterlab}/openshift-api-$OPENSHIFT_API_VERSION"
  if [ ! -f "$dir/done" ]; then
    local src
    src=$(cd "$here/go/k8s" && PATH=/usr/local/go/bin:$PATH GOFLAGS=-mod=mod go mod download -json "github.com/openshift/api@$OPENSHIFT_API_VERSION" \
          | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p') || true
    [ -n "$src" ] && [ -d "$src" ] || die "could not download github.com/openshift/api@$OPENSHIFT_API_VERSION from the Go module proxy"
    mkdir -p "$dir"
    cp "$src/config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusteroperators.crd.yaml" \
       "$src/config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml" \
       "$src/route/v1/zz_generated.crd-manifests/routes.crd.yaml" "$dir/"
    chmod 644 "$dir"/*.yaml
    touch "$dir/done"
  fi
  echo "$dir"
}

cmd_up() {
  local t0 t1
  t0=$(now_ms)
  mkdir -p "$STATE"/{run,log,etcd} && chmod 700 "$STATE" "$STATE/etcd"
  log "state folder $STATE"
  log "binaries: finding them in the cache or building them (cold build: about 35 min on 2 cores; follow $STATE/log/build.log)"
  local bins
  bins=$(bash "$here/build.sh" 2>>"$STATE/log/build.log" | tail -1) || die "build failed; read $STATE/log/build.log"
  echo "$bins" > "$STATE/bin-dir"
  log "binaries in $bins"
  local crds; crds=$(crds_dir)
  log "OpenShift CRDs from github.com/openshift/api@$OPENSHIFT_API_VERSION in $crds"
  pki_make "$STATE/pki"
  kubeconfig_cert "$STATE/kubeconfig" clusterlab-admin "$STATE/pki/admin.crt" "$STATE/pki/admin.key"
  kubeconfig_cert "$STATE/kubeconfig-kcm" system:kube-controller-manager "$STATE/pki/kcm.crt" "$STATE/pki/kcm.key"
  cat > "$STATE/lab.env" <<EOF
CLUSTERLAB_STATE=$STATE
CLUSTERLAB_API_URL=https://127.0.0.1:$API_PORT
CLUSTERLAB_ETCD_URL=http://127.0.0.1:$ETCD_PORT
CLUSTERLAB_KCM_URL=https://127.0.0.1:$KCM_PORT
CLUSTERLAB_NODE_GRACE=$NODE_GRACE
CLUSTERLAB_BIN=$bins
CLUSTERLAB_CRDS=$crds
K8S_VERSION=$K8S_VERSION
ETCD_VERSION=$ETCD_VERSION
OPENSHIFT_API_VERSION=$OPENSHIFT_API_VERSION
EOF
  t1=$(now_ms)
  for c in "${COMPONENTS[@]}"; do start_component "$c"; wait_component "$c"; log "$c ready"; done
  log "API ready $(( $(now_ms) - t1 )) ms after the first process start"
  log "setting up the API: CRDs, namespaces, RBAC, service-account kubeconfigs (log $STATE/log/setup.log)"
  "$root/node_modules/.bin/node" "$here/setup.ts" "$STATE" >> "$STATE/log/setup.log" 2>&1 \
    || die "API setup failed; read $STATE/log/setup.log"
  log "up in $(( $(now_ms) - t0 )) ms"
  cmd_status
}

cmd_status() {
  local up=0 c pid
  for c in "${COMPONENTS[@]}"; do
    if pid=$(running_pid "$c"); then
      local rss; rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null)
      log "$c running (pid $pid, rss $(( ${rss:-0} / 1024 )) MiB)"
    else log "$c NOT running (log $STATE/log/$c.log)"; up=1; fi
  done
  if [ $up = 0 ] && api_ready; then log "API https://127.0.0.1:$API_PORT ready"; else log "API https://127.0.0.1:$API_PORT not ready"; up=1; fi
  for k in kubeconfig kubeconfig-modules kubeconfig-none; do
    [ -f "$STATE/$k" ] && log "$k: $STATE/$k" || { log "$k missing"; up=1; }
  done
  return $up
}

cmd_down() {
  local c
  for (( i=${#COMPONENTS[@]}-1; i>=0; i-- )); do stop_component "${COMPONENTS[$i]}"; done
  if [ -d "$STATE" ]; then rm -rf "$STATE"; log "removed $STATE"; else log "nothing at $STATE"; fi
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  stop) stop_component "${2:?component}" ;;
  start) start_component "${2:?component}"; wait_component "$2" ;;
  restart) stop_component "${2:?component}"; start_component "$2"; wait_component "$2" ;;
  pause) [ "${2:-}" = etcd ] || die "only etcd can be paused"; kill -STOP "$(running_pid etcd)"; log "etcd paused" ;;
  resume) [ "${2:-}" = etcd ] || die "only etcd can be resumed"; kill -CONT "$(running_pid etcd)"; log "etcd resumed" ;;
  *) die "usage: lab.sh up|down|status|stop|start|restart COMPONENT|pause etcd|resume etcd" ;;
esac
