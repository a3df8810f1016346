#!/usr/bin/env bash
# relay.sh - let the guests reach a service that listens on the host's loopback, through an address
# inside the namespace devcloud-net (the only place guests can reach): 10.99.0.1:NS_PORT → 127.0.0.1:HOST_PORT.
#
#   labs/devcloud/relay.sh start NS_PORT HOST_PORT [HOLDER]   e.g. start 6443 "$CLUSTERLAB_API_PORT": a guest then
#                                               uses https://10.99.0.1:6443 (the service's TLS certificate must
#                                               name 10.99.0.1 or the client must use a name that maps to it)
#   labs/devcloud/relay.sh stop NS_PORT [HOLDER]
#   labs/devcloud/relay.sh list
#   (up.sh starts the relays listed in DEVCLOUD_RELAYS="NS_PORT:HOST_PORT ...")
# A relay is shared: several users (tests, the demo, K restores of one set whose controllers all reach
# the cluster API at 10.99.0.1:6443) may need the same one at once. Each names itself as a HOLDER:
# `start` of a relay already running to the same HOST_PORT adds the holder and leaves the relay (and
# every connection through it) alone; `stop NS_PORT HOLDER` removes the holder and stops the relay only
# when no holder is left. A holder is a file $STATE/run/relay-NS_PORT.holders/HOLDER with the pid of the
# process that holds it (RELAY_HOLDER_PID, default the caller of this script); holders whose process is
# gone are dropped, so a crashed test never pins a relay. `start` to another HOST_PORT while live holders
# remain fails naming them; `stop` without a holder stops the relay at once (down.sh, old callers). A
# relay started without a holder and joined by one is kept until a `stop` without a holder.
# Starts and stops are serialised with flock ($STATE/run/relays.lock).
# How: socat inside the namespace listens on 10.99.0.1:NS_PORT and hands each connection over a unix
# socket ($STATE/run/relay-NS_PORT.sock; unix sockets are not tied to a network namespace) to a socat in
# the root namespace, which connects to 127.0.0.1:HOST_PORT. The root namespace gets no address and no
# route towards the guests; nothing connects to a non-loopback address outside the namespace.
set -eEuo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
LAB_TAG=devcloud-relay; unset LAB_T0   # log lines "[devcloud-relay] ..."
usage() { echo "usage: $0 start NS_PORT HOST_PORT [HOLDER] | stop NS_PORT [HOLDER] | list" >&2; exit 2; }
port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || { echo "not a TCP port: '$1'" >&2; exit 2; }; }
holder() { [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || { echo "not a holder name (letters, digits, . _ -): '$1'" >&2; exit 2; }; }
# live holders of relay $1 (dead ones removed), one per line
holders() {
  local dir=$STATE/run/relay-$1.holders f pid
  [ -d "$dir" ] || return 0
  for f in "$dir"/*; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then basename "$f"; else rm -f "$f"; fi
  done
}
add_holder() { [ -n "${2:-}" ] || return 0; mkdir -p "$STATE/run/relay-$1.holders"; echo "${RELAY_HOLDER_PID:-$PPID}" > "$STATE/run/relay-$1.holders/$2"; }
relay_alive() { local pid; pid=$(pid_of "relay-$1" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; }
lock() { mkdir -p "$STATE/run"; exec 9>"$STATE/run/relays.lock"; flock 9; }   # one lock for every port: starts and stops are short
case ${1:-} in
  start) [ $# = 3 ] || [ $# = 4 ] || usage; port "$2"; port "$3"; [ $# = 3 ] || holder "$4"
    ip netns list | grep -qw "$NETNS" || die "namespace $NETNS is missing: run labs/devcloud/up.sh first"
    lock "$2"
    if relay_alive "$2"; then
      target=$(cat "$STATE/run/relay-$2.target" 2>/dev/null || true)
      if [ "$target" = "$3" ]; then
        # started without a holder (up.sh's DEVCLOUD_RELAYS, an old caller): it stays until stopped without one
        [ -z "${4:-}" ] || [ -n "$(holders "$2")" ] || RELAY_HOLDER_PID=1 add_holder "$2" started-without-holder
        add_holder "$2" "${4:-}"
        log "$NS_ADDR:$2 (in $NETNS) → 127.0.0.1:$3 already runs; held by: $(holders "$2" | paste -sd' ')"
        exit 0
      fi
      others=$(holders "$2" | grep -vxF -- "${4:-}" | paste -sd' ' || true)
      [ -z "$others" ] || die "relay $2 goes to 127.0.0.1:$target and is held by $others: not moved to 127.0.0.1:$3"
    fi
    relay_start "$2" "$3" 9>&-   # the relay must not inherit the lock
    for ((i = 0; i < 30; i++)); do
      if ip netns exec "$NETNS" ss -ltnH "sport = :$2" | grep -q .; then
        add_holder "$2" "${4:-}"
        log "$NS_ADDR:$2 (in $NETNS) → 127.0.0.1:$3${4:+; held by $4}"; exit 0
      fi
      sleep 0.2
    done
    die "relay $2 did not start listening, see $STATE/log/relay-$2.log" ;;
  stop) [ $# = 2 ] || [ $# = 3 ] || usage; port "$2"; [ $# = 2 ] || holder "$3"
    lock "$2"
    if [ $# = 3 ]; then
      rm -f "$STATE/run/relay-$2.holders/$3"
      left=$(holders "$2" | paste -sd' ')
      if [ -n "$left" ] && relay_alive "$2"; then log "relay $2 kept: still held by $left"; exit 0; fi
    fi
    relay_stop "$2"; rm -rf "$STATE/run/relay-$2.holders"; log "relay $2 stopped" ;;
  list) for f in "$STATE"/run/relay-*.target; do [ -e "$f" ] || continue; n=$(basename "$f" .target); n=${n#relay-}
          h=$(holders "$n" | paste -sd' '); echo "$NS_ADDR:$n → 127.0.0.1:$(cat "$f")${h:+ (held by $h)}"; done ;;
  *) usage ;;
esac
