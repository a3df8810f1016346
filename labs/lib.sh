# labs/lib.sh - the shell helpers both labs share; sourced by labs/devcloud/lib.sh (so by every devcloud
# script) and by labs/clusterlab/{lab,build}.sh. Not run on its own.
#
#   log MSG...              one line "[TAG] MSG" on stdout (on fd $LAB_LOG_FD when set, e.g. 2): TAG is
#                           $LAB_TAG; with $LAB_T0 set (a $SECONDS value) the seconds since then are added,
#                           "[devcloud +  12s] MSG"
#   die MSG...              log "ERROR: MSG" on stderr, exit 1
#   alive PID               the process exists and is not a zombie (a child that died is a zombie until it
#                           is reaped: it counts as gone); false for an empty PID
#   start_detached PIDFILE LOGFILE CMD...
#                           CMD in its own session (setsid: its pid is the session id, so stop_session finds
#                           its workers), stdin /dev/null, stdout and stderr appended to LOGFILE; its pid is
#                           written to PIDFILE (and is $! afterwards)
#   stop_session PID SECONDS
#                           SIGCONT and SIGTERM to PID and every process of its session (a paused process must
#                           be able to exit), SIGKILL to those still alive after SECONDS (0: SIGKILL at once);
#                           returns once all are gone (and reaped, up to 5 s) and prints what happened: "stopped",
#                           "killed (SIGKILL) PIDS", "... still alive after SIGKILL: PIDS", or "not running"
LAB_TAG=${LAB_TAG:-lab}

log() {
  if [ -n "${LAB_T0:-}" ]; then printf '[%s +%4ss] %s\n' "$LAB_TAG" "$((SECONDS - LAB_T0))" "$*" >&"${LAB_LOG_FD:-1}"
  else printf '[%s] %s\n' "$LAB_TAG" "$*" >&"${LAB_LOG_FD:-1}"; fi
}
die() { LAB_LOG_FD=2 log "ERROR: $*"; exit 1; }

alive() { local st; [ -n "${1:-}" ] && st=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${st#Z}" = "$st" ]; }
alive_of() { local p left=""; for p in $1; do alive "$p" && left="$left $p"; done; echo "$left"; }   # PIDS: those alive
session_pids() { ps -e -o pid=,sid=,stat= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ {print $1}'; }

start_detached() {
  local pidfile=$1 logfile=$2; shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! > "$pidfile"
}

stop_session() {
  local pid=$1 n=$(( $2 * 2 )) pids left i p how=stopped
  pids=$(session_pids "$pid")
  alive "$pid" && pids="$pid $pids"
  if [ -z "${pids// /}" ]; then echo "not running"; return 0; fi
  pids=$(echo $pids | tr ' ' '\n' | sort -u)
  if [ "$n" -gt 0 ]; then
    kill -CONT $pids 2>/dev/null || true
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < n; i++)); do left=$(alive_of "$pids"); [ -z "$left" ] && break; sleep 0.5; done
  fi
  left=$(alive_of "$pids")
  if [ -n "$left" ]; then
    kill -KILL $left 2>/dev/null || true; how="killed (SIGKILL)$left"
    for ((i = 0; i < 100; i++)); do left=$(alive_of "$left"); [ -z "$left" ] && break; sleep 0.1; done
    [ -z "$left" ] || how="$how, still alive after SIGKILL:$left"
  fi
  # a dead process stays a zombie until its parent (often init) reaps it: wait up to 5 s for that, so
  # that once this returns the pids are gone from /proc too (ports, files and /proc checks see it gone)
  for ((i = 0; i < 50; i++)); do left=$(for p in $pids; do [ -d "/proc/$p" ] && echo "$p"; done); [ -z "$left" ] && break; sleep 0.1; done
  echo "$how"
}
