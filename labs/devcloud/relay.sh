#!/usr/bin/env bash
# relay.sh - let the guests reach a service that listens on the host's loopback, through an address
# inside the namespace devcloud-net (the only place guests can reach): 10.99.0.1:NS_PORT → 127.0.0.1:HOST_PORT.
#
#   labs/devcloud/relay.sh start NS_PORT HOST_PORT   e.g. start 6443 "$CLUSTERLAB_API_PORT": a guest then uses
#                                               https://10.99.0.1:6443 (the service's TLS certificate must
#                                               name 10.99.0.1 or the client must use a name that maps to it)
#   labs/devcloud/relay.sh stop NS_PORT
#   labs/devcloud/relay.sh list
#   (up.sh starts the relays listed in DEVCLOUD_RELAYS="NS_PORT:HOST_PORT ...")
# How: socat inside the namespace listens on 10.99.0.1:NS_PORT and hands each connection over a unix
# socket ($STATE/run/relay-NS_PORT.sock; unix sockets are not tied to a network namespace) to a socat in
# the root namespace, which connects to 127.0.0.1:HOST_PORT. The root namespace gets no address and no
# route towards the guests; nothing connects to a non-loopback address outside the namespace.
set -eEuo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
LAB_TAG=devcloud-relay; unset LAB_T0   # log lines "[devcloud-relay] ..."
usage() { echo "usage: $0 start NS_PORT HOST_PORT | stop NS_PORT | list" >&2; exit 2; }
port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || { echo "not a TCP port: '$1'" >&2; exit 2; }; }
case ${1:-} in
  start) [ $# = 3 ] || usage; port "$2"; port "$3"
    ip netns list | grep -qw "$NETNS" || die "namespace $NETNS is missing: run labs/devcloud/up.sh first"
    relay_start "$2" "$3"
    for ((i = 0; i < 30; i++)); do
      ip netns exec "$NETNS" ss -ltnH "sport = :$2" | grep -q . && { log "$NS_ADDR:$2 (in $NETNS) → 127.0.0.1:$3"; exit 0; }
      sleep 0.2
    done
    die "relay $2 did not start listening, see $STATE/log/relay-$2.log" ;;
  stop) [ $# = 2 ] || usage; port "$2"; relay_stop "$2"; log "relay $2 stopped" ;;
  list) for f in "$STATE"/run/relay-*.target; do [ -e "$f" ] || continue; n=$(basename "$f" .target)
          echo "$NS_ADDR:${n#relay-} → 127.0.0.1:$(cat "$f")"; done ;;
  *) usage ;;
esac
