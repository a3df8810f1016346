# lib.sh - sourced by up.sh, down.sh, service.sh, relay.sh and status.sh (not run on its own).
# Settings, devcloud's helpers (the ones both labs share are in ../lib.sh), and the ONE place where each service's start command line is defined (svc_def).
#
#   env: DEVCLOUD_STATE (default /tmp/devcloud), DEVCLOUD_PASSWORD (default: random at the first up.sh, see password.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin   # Debian's python3, not a pyenv shim
export LC_ALL=C.UTF-8 LANG=C.UTF-8
# services and their tools must not pick up a caller's OpenStack client settings
unset OS_CLOUD OS_CLIENT_CONFIG_FILE OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_TOKEN 2>/dev/null || true

STATE=${DEVCLOUD_STATE:-/tmp/devcloud}
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   # log, die, alive, start_detached, stop_session (shared with the clusterlab)
LAB_TAG=devcloud LAB_T0=$SECONDS                     # log lines "[devcloud +  12s] ..."
source "$(dirname "${BASH_SOURCE[0]}")/password.sh"
PASS=$(devcloud_password)   # up.sh chooses one for a fresh state (devcloud_password create)
HOST=127.0.0.1

KCONF="$STATE/etc/keystone/keystone.conf"; GCONF="$STATE/etc/glance/glance-api.conf"
NCONF="$STATE/etc/nova/nova.conf"; NCCONF="$STATE/etc/nova/nova-compute.conf"
NECONF="$STATE/etc/neutron/neutron.conf"; HCONF="$STATE/etc/heat/heat.conf"
NEDHCP="$STATE/etc/neutron/dhcp_agent.ini"; NEMETA="$STATE/etc/neutron/metadata_agent.ini"
MYSQL=(mariadb --no-defaults -uroot --socket="$STATE/run/mysqld.sock")
UWSGI=(uwsgi --plugin python3 --master --processes 1 --threads 4 --enable-threads --lazy-apps --die-on-term
       --buffer-size 65535 --need-app --add-header 'Connection: close')

# Every service, in start order (down.sh stops them in the reverse order).
SERVICES=(mariadb epmd rabbitmq keystone glance-api placement nova-api nova-conductor nova-scheduler
          virtlogd libvirtd nova-compute neutron-server neutron-linuxbridge-agent neutron-dhcp-agent
          neutron-metadata-agent heat-api heat-engine)

# The guests' networks live behind a network namespace that devcloud makes (net_up): the provider
# network's host-side address is only there; the root namespace has no address or route towards guests.
NETNS=devcloud-net          # ip netns exec devcloud-net ssh root@10.99.0.x
PROV_IF=prov0               # root-namespace end of the veth: the linuxbridge agent's physnet1 interface
NS_IF=dcnet0                # namespace end of the veth, with NS_ADDR
NS_ADDR=10.99.0.1           # the host inside devcloud-net, as guests see it (relays listen here)
PROV_CIDR=10.99.0.0/24

# svc_def NAME   sets, for one service:
#   SVC_CMD   its start command line (array)       SVC_PAT  what its /proc/PID/cmdline contains
#   SVC_PORT  its TCP port on $HOST, or empty      SVC_URL  a URL that answers HTTP when it is ready, or empty
#   SVC_WAIT  seconds to wait for port/URL         SVC_LOGS where its logs are (for error messages)
#   SVC_CONF  the config files it reads (up.sh restarts a running service when one is newer than it)
svc_def() {
  SVC_PORT=; SVC_URL=; SVC_WAIT=120; SVC_LOGS="$STATE/log/$1.*"; SVC_CONF=
  case $1 in
    mariadb) SVC_PAT=mariadbd; SVC_PORT=3306; SVC_WAIT=60
      SVC_CMD=(mariadbd --no-defaults --datadir="$STATE/mysql" --socket="$STATE/run/mysqld.sock"
        --pid-file="$STATE/run/mariadbd.pidfile" --bind-address=$HOST --port=3306 --user=root
        --skip-name-resolve --max-connections=500 --character-set-server=utf8 --collation-server=utf8_general_ci
        --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0
        --log-error="$STATE/log/mariadb.err") ;;
    epmd) SVC_PAT=epmd; SVC_PORT=4369; SVC_WAIT=10
      SVC_CMD=(epmd -address $HOST -port 4369) ;;
    rabbitmq) SVC_PAT=rabbit; SVC_PORT=5672; SVC_LOGS="$STATE/log/rabbitmq.out and $STATE/log/rabbitmq/"
      SVC_CMD=(env HOME="$STATE/rabbitmq" ERL_EPMD_ADDRESS=$HOST
        RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=$HOST RABBITMQ_NODE_PORT=5672
        RABBITMQ_DIST_PORT=25672 RABBITMQ_CONFIG_FILE="$STATE/etc/rabbitmq/rabbitmq"
        RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/etc/rabbitmq/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$STATE/log/rabbitmq"
        RABBITMQ_PID_FILE="$STATE/rabbitmq/beam.pid"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        /usr/lib/rabbitmq/bin/rabbitmq-server) ;;
    keystone) SVC_PAT=keystone-wsgi-public; SVC_PORT=5000; SVC_URL=http://$HOST:5000/v3; SVC_WAIT=60
      SVC_CMD=("${UWSGI[@]}" --http-socket $HOST:5000 --wsgi-file /usr/bin/keystone-wsgi-public
        --env OS_KEYSTONE_CONFIG_FILES="$KCONF"); SVC_CONF="$KCONF" ;;
    glance-api) SVC_PAT=glance-api; SVC_PORT=9292; SVC_URL=http://$HOST:9292/versions; SVC_WAIT=90
      SVC_CMD=(glance-api --config-file "$GCONF"); SVC_CONF="$GCONF" ;;
    placement) SVC_PAT=placement-api; SVC_PORT=8778; SVC_URL=http://$HOST:8778/; SVC_WAIT=90
      SVC_CMD=("${UWSGI[@]}" --http-socket $HOST:8778 --wsgi-file /usr/bin/placement-api
        --env OS_PLACEMENT_CONFIG_DIR="$STATE/etc/placement"); SVC_CONF="$STATE/etc/placement/placement.conf" ;;
    nova-api) SVC_PAT=nova-api; SVC_PORT=8774; SVC_URL=http://$HOST:8774/
      SVC_CMD=(nova-api --config-file "$NCONF"); SVC_CONF="$NCONF" ;;
    nova-conductor) SVC_PAT=nova-conductor; SVC_CMD=(nova-conductor --config-file "$NCONF"); SVC_CONF="$NCONF" ;;
    nova-scheduler) SVC_PAT=nova-scheduler; SVC_CMD=(nova-scheduler --config-file "$NCONF"); SVC_CONF="$NCONF" ;;
    virtlogd) SVC_PAT=/usr/sbin/virtlogd; SVC_CMD=(/usr/sbin/virtlogd) ;;
    libvirtd) SVC_PAT=/usr/sbin/libvirtd; SVC_CMD=(/usr/sbin/libvirtd) ;;
    # nova-compute gets a config without DB URLs (NOTES.md finding 6)
    nova-compute) SVC_PAT=nova-compute; SVC_CMD=(nova-compute --config-file "$NCCONF"); SVC_CONF="$NCCONF" ;;
    neutron-server) SVC_PAT=neutron-server; SVC_PORT=9696; SVC_URL=http://$HOST:9696/
      SVC_CMD=(neutron-server --config-file "$NECONF"); SVC_CONF="$NECONF" ;;
    # the agents: --log-file because neutron.conf's log_file is the server's
    neutron-linuxbridge-agent) SVC_PAT=neutron-linuxbridge-agent; SVC_CONF="$NECONF"
      SVC_CMD=(neutron-linuxbridge-agent --config-file "$NECONF" --log-file "$STATE/log/neutron-linuxbridge-agent.log") ;;
    neutron-dhcp-agent) SVC_PAT=neutron-dhcp-agent; SVC_CONF="$NECONF $NEDHCP"
      SVC_CMD=(neutron-dhcp-agent --config-file "$NECONF" --config-file "$NEDHCP" --log-file "$STATE/log/neutron-dhcp-agent.log") ;;
    neutron-metadata-agent) SVC_PAT=neutron-metadata-agent; SVC_CONF="$NECONF $NEMETA"
      SVC_CMD=(neutron-metadata-agent --config-file "$NECONF" --config-file "$NEMETA" --log-file "$STATE/log/neutron-metadata-agent.log") ;;
    heat-api) SVC_PAT=heat-api; SVC_PORT=8004; SVC_URL=http://$HOST:8004/
      SVC_LOGS="$STATE/log/heat-api.out and $STATE/log/heat.log"
      SVC_CMD=(heat-api --config-file "$HCONF"); SVC_CONF="$HCONF" ;;
    heat-engine) SVC_PAT=heat-engine; SVC_LOGS="$STATE/log/heat-engine.out and $STATE/log/heat.log"
      SVC_CMD=(heat-engine --config-file "$HCONF"); SVC_CONF="$HCONF" ;;
    *) return 1 ;;
  esac
}

pid_of() { [ -f "$STATE/run/$1.pid" ] && cat "$STATE/run/$1.pid"; }
is_running() { # NAME PATTERN: pid file names a live process whose command line matches PATTERN
  local pid; pid=$(pid_of "$1") || return 1
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

conf_newer() { # NAME: is one of its SVC_CONF files newer than the running service? (svc_def NAME first)
  local pid started f
  pid=$(pid_of "$1") || return 1
  started=$(( $(date +%s) - $(ps -o etimes= -p "$pid" | tr -d ' ') ))
  for f in $SVC_CONF; do [ -f "$f" ] && [ "$(stat -c %Y "$f")" -gt "$started" ] && return 0; done
  return 1
}
# nova-api's workers grow with time on a long-lived cloud (NOTES.md, memory budget): the bound is a recycle.
NOVA_API_MAX_MIB=${DEVCLOUD_NOVA_API_MAX_MIB:-700}
session_rss_mib() { # NAME   resident memory of the service's whole session (parent + workers), MiB
  local pid; pid=$(pid_of "$1") || { echo 0; return; }
  ps -e -o sid=,rss= | awk -v s="$pid" '$1 == s {k += $2} END {print int(k / 1024)}'
}
recycle_if_big() { # NAME MAX_MIB   stop the service (start_svc starts it again) when its session is above MAX_MIB
  local rss
  svc_def "$1" || return 0
  is_running "$1" "$SVC_PAT" || return 0
  rss=$(session_rss_mib "$1")
  if [ "$rss" -gt "$2" ]; then log "$1: ${rss} MiB resident > ${2} MiB: recycled (stopped, started again)"; stop_svc "$1"; fi
}
start_svc() { # NAME   start the service in its own session (setsid: pid = session id) unless already running
  local name=$1
  svc_def "$name" || die "unknown service $name (one of: ${SERVICES[*]})"
  if is_running "$name" "$SVC_PAT"; then
    if ! conf_newer "$name"; then log "$name: already running (pid $(pid_of "$name"))"; return; fi
    log "$name: its configuration changed after it started: restarting"; stop_svc "$name"
  fi
  if [ -n "$SVC_PORT" ] && port_open "$SVC_PORT"; then
    die "$name: port $HOST:$SVC_PORT is taken by a process devcloud did not start (ss -ltnp | grep :$SVC_PORT)"
  fi
  start_detached "$STATE/run/$name.pid" "$STATE/log/$name.out" "${SVC_CMD[@]}"
  log "$name: started (pid $!, output $STATE/log/$name.out)"
}

wait_port() { # NAME PORT TIMEOUT
  local i
  for ((i = 0; i < $3; i++)); do
    port_open "$2" && return 0
    is_running "$1" . || die "$1 died, see $(svc_def "$1"; echo "$SVC_LOGS")"; sleep 1
  done
  die "$1 did not open port $2 within $3s, see $(svc_def "$1"; echo "$SVC_LOGS")"
}
wait_http() { # NAME URL TIMEOUT   any HTTP answer < 500 counts
  local i code
  for ((i = 0; i < $3; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$2" || true)
    [ -n "$code" ] && [ "$code" != 000 ] && [ "$code" -lt 500 ] && return 0
    is_running "$1" . || die "$1 died, see $(svc_def "$1"; echo "$SVC_LOGS")"; sleep 1
  done
  die "$1 did not answer on $2 within $3s, see $(svc_def "$1"; echo "$SVC_LOGS")"
}
wait_mariadb() {
  local i
  for ((i = 0; i < 60; i++)); do
    "${MYSQL[@]}" -e 'select 1' >/dev/null 2>&1 && return 0
    is_running mariadb . || die "mariadb died, see $STATE/log/mariadb.err"; sleep 1
  done
  die "mariadb not answering on $STATE/run/mysqld.sock within 60s, see $STATE/log/mariadb.err"
}
wait_libvirtd() {
  local i
  for ((i = 0; i < 30; i++)); do virsh -c qemu:///system version >/dev/null 2>&1 && return 0; sleep 1; done
  die "libvirtd not answering, see $STATE/log/libvirtd.out"
}
# a neutron agent is ready once it has reported its state to neutron-server after it started
wait_agent() { # NAME
  local i pid started n
  pid=$(pid_of "$1") || die "$1 is not running"
  started=$(( $(date +%s) - $(ps -o etimes= -p "$pid" | tr -d ' ') - 1 ))
  for ((i = 0; i < 90; i++)); do
    n=$("${MYSQL[@]}" -N -e "select count(*) from neutron.agents where host='devcloud' and \`binary\`='$1'
          and unix_timestamp(heartbeat_timestamp) + timestampdiff(second, utc_timestamp(), now()) >= $started" 2>/dev/null || echo 0)
    [ "$n" -gt 0 ] && return 0
    is_running "$1" . || die "$1 died, see $STATE/log/$1.log and $STATE/log/$1.out"; sleep 1
  done
  die "$1 did not report to neutron-server within 90s, see $STATE/log/$1.log"
}
wait_svc() { # NAME   wait until the service is ready: its URL answers, its port opens, or its socket answers
  svc_def "$1"
  case $1 in
    mariadb) wait_mariadb ;;
    libvirtd) wait_libvirtd ;;
    neutron-*-agent) wait_agent "$1" ;;
    *) if [ -n "$SVC_URL" ]; then wait_http "$1" "$SVC_URL" "$SVC_WAIT"
       elif [ -n "$SVC_PORT" ]; then wait_port "$1" "$SVC_PORT" "$SVC_WAIT"
       else sleep 2; is_running "$1" . || die "$1 died, see $SVC_LOGS"; fi ;;
  esac
}

admin_token() { # print an admin token (project admin) from keystone, or nothing
  curl -s -i -H 'Content-Type: application/json' "http://$HOST:5000/v3/auth/tokens" \
    -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"'"$PASS"'"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' |
    awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r'
}
# neutron bug (Zed, NOTES.md finding 4): GET /v2.0/ports raises AttributeError 'Port' has no attribute
# 'port_forwardings' (HTTP 500, and nova's server show/list with it) when it is the first DB request of a
# fresh API worker, because the SQLAlchemy mappers are not configured yet. Any other query first (networks)
# configures them. Run this after every start of neutron-server.
neutron_warmup() {
  local token u code
  token=$(admin_token)
  [ -n "$token" ] || die "could not get an admin token from keystone, see $STATE/log/keystone.log"
  for u in networks ports; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Auth-Token: $token" "http://$HOST:9696/v2.0/$u" || true)
    [ "$code" = 200 ] || die "neutron GET /v2.0/$u answered $code, see $STATE/log/neutron-server.log"
  done
}

# stop_svc NAME   SIGTERM to every process of the service's session, SIGKILL to what is left after
# KILL_AFTER seconds (default 30; KILL_AFTER=0: SIGKILL at once); returns when all of them are gone.
stop_svc() {
  local pf=$STATE/run/$1.pid
  [ -f "$pf" ] || return 0
  log "$1: $(stop_session "$(cat "$pf")" "${KILL_AFTER:-30}")"
  rm -f "$pf"
}

# ---------------------------------------------------------------- the guests' network namespace
# net_up (idempotent): the namespace devcloud-net with the host-side provider address, the veth into it,
# and the root namespace's guarantees: no IPv6 on interfaces made from now on (the agent's bridges, the
# taps, the vxlan devices would otherwise get link-local addresses and routes towards the guests), and
# no IP forwarding. The linuxbridge agent needs $PROV_IF before it starts.
net_up() {
  local d
  ip netns list | grep -qw "$NETNS" || ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  if ! ip link show "$PROV_IF" >/dev/null 2>&1; then
    ip link add "$PROV_IF" type veth peer name "$NS_IF" netns "$NETNS"
  fi
  mkdir -p "$STATE/run"
  [ -f "$STATE/run/ipv6-default" ] || sysctl -n net.ipv6.conf.default.disable_ipv6 > "$STATE/run/ipv6-default"
  sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  for d in $(devcloud_ifaces); do sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1" 2>/dev/null || true; done
  ip link set "$PROV_IF" up
  ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.ip_forward=0
  ip -n "$NETNS" -4 addr show dev "$NS_IF" | grep -q " $NS_ADDR/" || ip -n "$NETNS" addr add "$NS_ADDR/24" dev "$NS_IF"
  ip -n "$NETNS" link set "$NS_IF" up
  [ "$(sysctl -n net.ipv4.ip_forward)" = 0 ] || die "IP forwarding is on in the root namespace (net.ipv4.ip_forward=1): devcloud needs it off"
}
# root-namespace interfaces that carry guest traffic: the veth, the agent's bridges, vxlan devices, taps
devcloud_ifaces() { ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -E "^($PROV_IF|brq|vxlan-|tap)" || true; }
# net_check: one line "NOT ISOLATED: ..." per breach of the rule "the root namespace has no address on,
# and no route through, a guest interface; no forwarding" (status.sh prints them, up.sh fails on them)
net_check() {
  local d
  [ "$(sysctl -n net.ipv4.ip_forward)" = 0 ] || echo "NOT ISOLATED: net.ipv4.ip_forward=1 in the root namespace"
  for d in $(devcloud_ifaces); do
    ip -o addr show dev "$d" 2>/dev/null | awk -v d="$d" '{print "NOT ISOLATED: address " $4 " on " d " in the root namespace"}'
    ip -o route show dev "$d" 2>/dev/null | awk -v d="$d" '{print "NOT ISOLATED: route " $1 " via " d " in the root namespace"}'
    ip -o -6 route show dev "$d" 2>/dev/null | awk -v d="$d" '{print "NOT ISOLATED: IPv6 route " $1 " via " d " in the root namespace"}'
  done
  ip -o route get "$NS_ADDR" 2>/dev/null | grep -qE "dev ($PROV_IF|brq|vxlan-|tap)" && echo "NOT ISOLATED: $NS_ADDR is routed to a guest interface"
  if ip netns list | grep -qw "$NETNS"; then
    [ "$(ip netns exec "$NETNS" sysctl -n net.ipv4.ip_forward)" = 0 ] || echo "NOT ISOLATED: ip_forward=1 in $NETNS"
    ip -n "$NETNS" -4 route show | grep -q '^default' && echo "NOT ISOLATED: $NETNS has a default route"
  fi
  return 0
}
# net_down: remove what net_up and neutron's agents made in the kernel (after the agents and the
# guests are stopped): the qdhcp namespaces, the agent's bridges and vxlan devices, the veth, devcloud-net.
net_down() {
  local n d
  for n in $(ip netns list | awk '/^qdhcp-/{print $1}'); do ip netns delete "$n" 2>/dev/null || true; done
  for d in $(devcloud_ifaces); do ip link delete "$d" 2>/dev/null || true; done
  ip netns list | grep -qw "$NETNS" && ip netns delete "$NETNS"
  if [ -f "$STATE/run/ipv6-default" ]; then
    sysctl -qw "net.ipv6.conf.default.disable_ipv6=$(cat "$STATE/run/ipv6-default")"; rm -f "$STATE/run/ipv6-default"
  fi
  return 0
}
# dnsmasq and haproxy, started by the DHCP agent for each network, daemonise out of its session (so DHCP
# goes on while the agent restarts): their pids are in neutron's external pid files.
dhcp_pids() {
  local f p
  for f in "$STATE"/neutron/external/pids/*.pid* "$STATE"/neutron/dhcp/*/pid; do
    [ -f "$f" ] || continue; p=$(cat "$f" 2>/dev/null); [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
  done | sort -u
}

# ---------------------------------------------------------------- relays: a guest → a host service
# relay_start NS_PORT HOST_PORT: $NS_ADDR:NS_PORT inside devcloud-net → 127.0.0.1:HOST_PORT on the host,
# through a unix socket (filesystems are not per network namespace): socat #1 runs inside the namespace
# and listens on $NS_ADDR, socat #2 in the root namespace accepts on the unix socket and connects to
# loopback. Nothing in the root namespace gets an address or a route towards the guests.
relay_start() {
  local nsport=$1 hostport=$2 name=relay-$1 sock=$STATE/run/relay-$1.sock pid
  pid=$(pid_of "$name" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && { relay_stop "$nsport"; }
  start_detached "$STATE/run/$name.pid" "$STATE/log/$name.log" bash -c 'socat -lf "$4" UNIX-LISTEN:"$1",fork,unlink-early,mode=600 TCP:127.0.0.1:"$2" &
      sleep 0.3
      exec ip netns exec "$5" socat -lf "$4" TCP-LISTEN:"$3",bind="$6",fork,reuseaddr UNIX-CONNECT:"$1"' \
    relay "$sock" "$hostport" "$nsport" "$STATE/log/$name.log" "$NETNS" "$NS_ADDR"
  echo "$hostport" > "$STATE/run/$name.target"
}
relay_stop() { KILL_AFTER=2 stop_svc "relay-$1" >/dev/null; rm -f "$STATE/run/relay-$1.sock" "$STATE/run/relay-$1.target"; }
