#!/usr/bin/env bash
# labs/clusterlab/build.sh — builds kube-apiserver, kube-controller-manager (k8s.io/kubernetes) and etcd
# (go.etcd.io/etcd/server/v3) with the ordinary `go` client from the Go module proxy, into
# ~/.cache/clusterlab/<key>/bin; <key> comes from the versions pinned in labs/clusterlab/versions.env.
# A second run finds the binaries and returns at once. The helper Go modules under labs/clusterlab/go/
# (go.mod + go.sum committed) pin every staging module of k8s.io/kubernetes by `replace`.
# Usage: labs/clusterlab/build.sh [--regen]   (--regen rewrites go/k8s/go.mod from kubernetes' own go.mod)
# Prints the bin folder on the last line of stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/versions.env"
export PATH=/usr/local/go/bin:$PATH
export CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOFLAGS=${GOFLAGS:--buildvcs=false}
key="k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
CACHE=${CLUSTERLAB_CACHE:-$HOME/.cache/clusterlab}
OUT="$CACHE/$key/bin"
. "$here/../lib.sh"                                  # log, die (shared with devcloud)
LAB_TAG="clusterlab build" LAB_LOG_FD=2             # log lines "[clusterlab build] ..." on stderr: stdout is the bin folder

if [ "${1:-}" != "--regen" ] && [ -x "$OUT/kube-apiserver" ] && [ -x "$OUT/kube-controller-manager" ] && [ -x "$OUT/etcd" ]; then
  log "binaries cached in $OUT"; echo "$OUT"; exit 0
fi
command -v go >/dev/null || { log "no 'go' on PATH (expected Go 1.26 at /usr/local/go)"; exit 1; }
mkdir -p "$OUT"
staging=v0.${K8S_VERSION#v1.}    # v1.36.3 -> v0.36.3

( cd "$here/go/k8s"
  if [ "${1:-}" = "--regen" ] || [ ! -f go.mod ]; then
    log "writing go/k8s/go.mod for k8s.io/kubernetes $K8S_VERSION (staging $staging)"
    modfile=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
    rm -f go.mod go.sum
    go mod init hotstack.invalid/clusterlab/k8s 2>/dev/null
    go mod edit -go=1.26.0 -require="k8s.io/kubernetes@$K8S_VERSION"
    args=()
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$modfile"); do
      args+=("-replace=$m=$m@$staging")
    done
    go mod edit "${args[@]}"
    go mod edit -tool=k8s.io/kubernetes/cmd/kube-apiserver -tool=k8s.io/kubernetes/cmd/kube-controller-manager
    go mod tidy
  fi
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  log "building kube-apiserver and kube-controller-manager $K8S_VERSION (cold: tens of minutes on 2 cores)"
  go build -trimpath -ldflags "$ld" -o "$OUT/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager )

( cd "$here/go/etcd"
  if [ "${1:-}" = "--regen" ] || [ ! -f go.mod ]; then
    log "writing go/etcd/go.mod for etcd $ETCD_VERSION"
    rm -f go.mod go.sum
    go mod init hotstack.invalid/clusterlab/etcd 2>/dev/null
    go mod edit -go=1.26.0 -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go mod tidy
  fi
  log "building etcd $ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" . )

"$OUT/kube-apiserver" --version >&2
"$OUT/etcd" --version | head -1 >&2
echo "$OUT"
