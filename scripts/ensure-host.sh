#!/usr/bin/env bash
# ensure-host.sh - install, when missing, the Debian packages the tests need besides the cloud
# (devcloud/up.sh installs the cloud's own). Idempotent: when everything is present it only checks (<1 s).
# Run as root on Debian 12. apt-get update runs once, and only if a package is missing.
#   env: ENSURE_HOST_LOG (default /tmp/ensure-host.log)   output of apt-get
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# ansible-core: ansible-playbook, ansible-doc and ansible-test (validate-modules) for the playbook and
# documentation tests (Debian's: 2.14); ansible-lint (6.13) and yamllint (1.29) for the lint tests.
PKGS=(ansible-core ansible-lint yamllint)
LOG=${ENSURE_HOST_LOG:-/tmp/ensure-host.log}
say() { printf '[ensure-host] %s\n' "$*"; }

installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null | awk '/install ok installed$/{print $1}' || true)
missing=()
for p in "${PKGS[@]}"; do grep -qx -- "$p" <<<"$installed" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then say "packages present: ${PKGS[*]}"; exit 0; fi

[ "$(id -u)" = 0 ] || { say "ERROR: missing ${missing[*]}; run as root to install them" >&2; exit 1; }
say "installing ${missing[*]} (apt-get; output in $LOG)"
t=$SECONDS
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"; } >"$LOG" 2>&1; then
  say "ERROR: installing ${missing[*]} failed, see $LOG" >&2
  tail -n 20 "$LOG" >&2 || true
  exit 1
fi
say "installed ${missing[*]} in $((SECONDS - t))s"
