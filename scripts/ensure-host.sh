#!/usr/bin/env bash
# ensure-host.sh - install, when missing, the Debian packages the tests (and the arm64 build) need besides the cloud
# (labs/devcloud/up.sh installs the cloud's own). Idempotent: when everything is present it only checks (<1 s).
# Run as root on Debian 12. apt-get update runs once, and only if a package is missing.
#   env: ENSURE_HOST_LOG (default /tmp/ensure-host.log)   output of apt-get
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# ansible-core: ansible-playbook, ansible-doc and ansible-test (validate-modules) for the playbook and
# documentation tests (Debian's: 2.14); ansible-lint (6.13) and yamllint (1.29) for the lint tests;
# qemu-user-static + binfmt-support and the arm64 C/C++ runtime (the cross packages: no dpkg
# architecture added) to run the arm64 build here (test/integration/arm64.test.ts).
PKGS=(ansible-core ansible-lint yamllint qemu-user-static binfmt-support libc6-arm64-cross libstdc++6-arm64-cross)
LOG=${ENSURE_HOST_LOG:-/tmp/ensure-host.log}
say() { printf '[ensure-host] %s\n' "$*"; }

install_packages() {
  local installed missing=() p t
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null | awk '/install ok installed$/{print $1}' || true)
  for p in "${PKGS[@]}"; do grep -qx -- "$p" <<<"$installed" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then say "packages present: ${PKGS[*]}"; return 0; fi

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
}

# arm64 executables start through QEMU: the kernel's binfmt_misc hands them to qemu-aarch64-static
# (registered by binfmt-support, which without systemd does not run at boot: done here, after every
# reboot), and QEMU finds their loader and libraries under its prefix /etc/qemu-binfmt/aarch64
# (Debian's QEMU default) = the cross packages' /usr/aarch64-linux-gnu. Only aarch64 is registered.
enable_arm64() {
  local binfmt=/proc/sys/fs/binfmt_misc
  if [ "$(cat "$binfmt/qemu-aarch64" 2>/dev/null | head -n 1)" = enabled ] &&
    [ "$(readlink /etc/qemu-binfmt/aarch64)" = /usr/aarch64-linux-gnu ]; then
    say "arm64 executables run through QEMU (binfmt_misc)"
    return 0
  fi
  [ "$(id -u)" = 0 ] || { say "ERROR: arm64 executables do not run here (binfmt qemu-aarch64); run as root" >&2; exit 1; }
  [ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt"
  update-binfmts --enable qemu-aarch64
  mkdir -p /etc/qemu-binfmt
  ln -sfn /usr/aarch64-linux-gnu /etc/qemu-binfmt/aarch64
  [ "$(head -n 1 "$binfmt/qemu-aarch64")" = enabled ] || { say "ERROR: binfmt qemu-aarch64 is not enabled" >&2; exit 1; }
  say "arm64 executables now run through QEMU (binfmt_misc qemu-aarch64, prefix /usr/aarch64-linux-gnu)"
}

install_packages
enable_arm64
