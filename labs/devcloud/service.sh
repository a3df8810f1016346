#!/usr/bin/env bash
# service.sh - stop, start or restart ONE devcloud service, with the same start command line as up.sh
# (both take it from lib.sh). For fault tests, e.g. stop the image service in the middle of a snapshot:
#
#   labs/devcloud/service.sh stop glance-api       # SIGTERM to its whole session, SIGKILL after 30 s
#   labs/devcloud/service.sh start glance-api      # start it, wait until http://127.0.0.1:9292/versions answers
#   labs/devcloud/service.sh restart NAME          # stop, then start
#   labs/devcloud/service.sh list                  # the service names
#   env: KILL_AFTER=SECONDS (stop: SIGKILL after that many seconds, default 30; 0 = SIGKILL at once)
#
# start prints one line and exits 0 once the service is ready (its URL answers HTTP < 500, or its port
# opens; for nova-conductor/-scheduler/-compute and heat-engine: still alive 2 s after the start), or
# exits 1 with the log file to read. A started neutron-server also gets its warm-up GETs (NOTES.md
# finding 4). The cloud must have been brought up by up.sh first (configuration, databases).
set -eEuo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
LAB_TAG=devcloud-service; unset LAB_T0   # log lines "[devcloud-service] ..."
trap 'die "service.sh line $LINENO failed: $BASH_COMMAND (logs: $STATE/log/)"' ERR

usage() { echo "usage: $0 stop|start|restart NAME   |   $0 list      NAME: ${SERVICES[*]}" >&2; exit 2; }
[ "${1:-}" = list ] && { printf '%s\n' "${SERVICES[@]}"; exit 0; }
[ $# = 2 ] || usage
action=$1 name=$2
svc_def "$name" || { echo "unknown service '$name'" >&2; usage; }
[ -d "$STATE/etc" ] || die "no devcloud state in $STATE: run labs/devcloud/up.sh first"

do_stop() {
  stop_svc "$name"
  local i
  if [ -n "$SVC_PORT" ]; then   # its processes are gone; the port closes with them
    for ((i = 0; i < 50; i++)); do port_open "$SVC_PORT" || break; sleep 0.1; done
    ! port_open "$SVC_PORT" || die "$name: port $HOST:$SVC_PORT still open after the stop (ss -ltnp | grep :$SVC_PORT)"
  fi
  rm -f "$STATE/run/$name.pid"
}
do_start() {
  local t=$SECONDS msg
  if is_running "$name" "$SVC_PAT"; then
    wait_svc "$name"; log "$name: already running (pid $(pid_of "$name"))"; return
  fi
  [ "$name" = neutron-linuxbridge-agent ] && net_up   # its physnet1 interface (prov0) must exist
  start_svc "$name" >/dev/null       # (its "started" line is replaced by the one line below)
  wait_svc "$name"
  [ "$name" = neutron-server ] && neutron_warmup
  msg="ready"; [ -n "$SVC_URL" ] && msg="answering on $SVC_URL"; [ -z "$SVC_URL" ] && [ -n "$SVC_PORT" ] && msg="listening on $HOST:$SVC_PORT"
  log "$name: started (pid $(pid_of "$name")), $msg after $((SECONDS - t))s; output $STATE/log/$name.out"
}

case $action in
  stop) do_stop ;;
  start) do_start ;;
  restart) do_stop; do_start ;;
  *) usage ;;
esac
