# -*- coding: utf-8 -*-
# Copyright: Hotstack SnapSet developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The action behind every hotstack.snapset module.

Each module of the collection is one self-contained executable (Node.js inside), shipped
xz-compressed, one payload per CPU architecture, under payload/ of the collection. Ansible would
copy a module file to the host of every task; this action instead keeps the executable in a cache
on the host of the task (the delegated host, as the become user), keyed by its sha256:

  1. one command finds the host's OS and architecture and whether
     <cache>/<sha256>/hotstack-modules is there (the only extra step of a warm task);
  2. when it is not: the payload of that architecture is copied (about 30 MB), unpacked with xz
     (or Python's lzma) into a temporary file in the same directory, checked against its sha256,
     made executable, tried once (a noexec mount or a host it cannot run on is named), renamed
     into place atomically (concurrent first runs each write their own temporary file), and the
     versions this collection does not carry are pruned once no task used them for more than 7 days (each
     task's probe marks its version used, so two collection versions on one host — two projects,
     two CI jobs — never delete each other's executable);
  3. the module file itself, a small launcher, runs through Ansible's normal module execution
     (_execute_module), so check mode, async, become, delegate_to and no_log behave as for any
     module; the launcher execs the cached executable with the arguments file.

The cache directory is the variable hotstack_snapset_cache_dir, else
${XDG_CACHE_HOME:-$HOME/.cache}/hotstack-snapset of the user that runs the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves import shlex_quote
from ansible.plugins.action import ActionBase

PAYLOAD_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'payload')
EXECUTABLE_ENV = 'HOTSTACK_SNAPSET_EXECUTABLE'
CACHE_VAR = 'hotstack_snapset_cache_dir'
ERROR_MARK = 'hotstack-snapset-error: '

# uname -m spellings of the architectures a payload can be built for.
ARCH_ALIASES = {'x86_64': 'x86_64', 'amd64': 'x86_64', 'aarch64': 'aarch64', 'arm64': 'aarch64'}

# Prints the host's OS, machine, whether the executable of its architecture ($2: x86_64's sha256,
# $3: aarch64's) is in the cache directory ($1, default below), and that directory.
PROBE = r'''
d=$1
case "$d" in
  "") d=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/hotstack-snapset ;;
  "~") d=$HOME ;;
  "~/"*) d=$HOME/${d#"~/"} ;;
esac
m=$(uname -m)
case "$m" in
  x86_64|amd64) h=$2 ;;
  aarch64|arm64) h=$3 ;;
  *) h= ;;
esac
state=missing
if [ -n "$h" ] && [ -x "$d/$h/hotstack-modules" ]; then state=ready; touch "$d/$h" 2>/dev/null; fi
printf '%s\n%s\n%s\n%s\n' "$(uname -s)" "$m" "$state" "$d"
'''

# Unpacks $3 (xz) into the cache directory $1 as the executable of sha256 $2; prunes the versions not
# in $4 that no task used for more than UNUSED_DAYS days (the probe marks a version used: another version of the
# collection on the same host, another project or job, keeps its executable while it runs tasks).
INSTALL = r'''
d=$1 h=$2 src=$3 keep=$4 UNUSED_DAYS=7
fail() { rm -f "${t:-}"; printf '%s%s\n' "hotstack-snapset-error: " "$*"; exit 1; }
umask 022
mkdir -p "$d/$h" || fail "cannot create the cache directory $d/$h (set hotstack_snapset_cache_dir)"
t=$(mktemp "$d/$h/.hotstack-modules.XXXXXX") || fail "cannot write in the cache directory $d/$h"
if command -v xz >/dev/null 2>&1; then
  xz -dc "$src" >"$t" || fail "xz could not unpack the payload into $t"
elif command -v python3 >/dev/null 2>&1 && python3 -c 'import lzma' 2>/dev/null; then
  python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$src" "$t" \
    || fail "python3 lzma could not unpack the payload into $t"
else
  fail "the host has neither xz nor python3 with lzma to unpack the module executable: install xz-utils (or xz)"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sum=$(sha256sum "$t" | cut -d' ' -f1)
else
  sum=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$t" 2>/dev/null)
fi
[ "$sum" = "$h" ] || fail "the unpacked executable's sha256 is ${sum:-unknown}, not $h (payload damaged in transfer, or the disk is full)"
chmod 755 "$t" || fail "cannot chmod $t"
"$t" </dev/null >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 126 ]; then
  fail "cannot execute files in $d (mounted noexec?): set hotstack_snapset_cache_dir to a directory on a filesystem that allows execution"
elif [ "$rc" -eq 127 ] || [ "$rc" -gt 128 ]; then
  fail "the module executable does not run on this host (exit $rc): it needs Linux with glibc 2.28 or later"
fi
mv -f "$t" "$d/$h/hotstack-modules" || fail "cannot rename $t into place"
find "$d" -mindepth 1 -maxdepth 1 -type d -mtime +"$UNUSED_DAYS" 2>/dev/null | while IFS= read -r o; do
  n=${o##*/}
  [ "${#n}" -eq 64 ] || continue
  case "$n" in *[!0-9a-f]*) continue ;; esac
  case " $keep " in *" $n "*) continue ;; esac
  rm -rf "$o"
done
find "$d/$h" -name '.hotstack-modules.*' -mmin +60 -exec rm -f {} + 2>/dev/null
printf 'installed\n'
'''


def load_payloads(payload_dir=PAYLOAD_DIR):
    """payloads.json of the collection: {arch: {"sha256", "file", "size"}}, written by its build."""
    with open(os.path.join(payload_dir, 'payloads.json')) as handle:
        return json.load(handle)


def probe_command(cache_dir, payloads):
    """The probe as one shell command line."""
    hashes = [payloads.get(arch, {}).get('sha256', '') for arch in ('x86_64', 'aarch64')]
    return 'sh -c %s hotstack-probe %s' % (shlex_quote(PROBE), ' '.join(shlex_quote(x) for x in [cache_dir or ''] + hashes))


def install_command(cache_dir, sha256, source, payloads):
    keep = ' '.join(sorted(p['sha256'] for p in payloads.values()))
    return 'sh -c %s hotstack-install %s' % (
        shlex_quote(INSTALL),
        ' '.join(shlex_quote(x) for x in (cache_dir, sha256, source, keep)),
    )


def parse_probe(stdout):
    """(os, machine, state, cache dir) from the probe's four lines, or None."""
    lines = to_text(stdout).splitlines()
    if len(lines) < 4:
        return None
    return lines[-4], lines[-3], lines[-2], lines[-1]


class PayloadError(Exception):
    pass


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if result.get('skipped'):
            return result
        if result.get('invocation', {}).get('module_args'):
            del result['invocation']['module_args']
        task_vars = task_vars or {}
        wrap_async = self._task.async_val and not self._connection.has_native_async
        try:
            try:
                executable, installed = self._ensure_executable(task_vars)
            except PayloadError as error:
                result.update(failed=True, msg=to_native(error))
                return result
            environments = self._task.environment
            if environments is None:
                environments = self._task.environment = []
            position = len(environments)
            environments.append({EXECUTABLE_ENV: executable})
            try:
                module_result = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
            finally:
                del environments[position]
            result.update(module_result)
            if installed and not module_result.get('failed'):
                result.setdefault('hotstack_snapset_payload', installed)
            return result
        finally:
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)

    def _host_name(self, task_vars):
        host = task_vars.get('inventory_hostname', '?')
        delegated = self._task.delegate_to
        return '%s (delegated to %s)' % (host, delegated) if delegated else host

    def _ensure_executable(self, task_vars):
        """The path of the cached executable on the host of the task, and what was installed (or None)."""
        payloads = load_payloads()
        cache_dir = task_vars.get(CACHE_VAR)
        cache_dir = to_text(self._templar.template(cache_dir)) if cache_dir else ''
        host = self._host_name(task_vars)
        probe = self._low_level_execute_command(probe_command(cache_dir, payloads))
        found = parse_probe(probe.get('stdout', '')) if probe.get('rc') == 0 else None
        if found is None:
            raise PayloadError('hotstack.snapset: could not inspect %s for the module executable: %s' % (
                host, to_text(probe.get('stderr') or probe.get('stdout') or 'rc=%s' % probe.get('rc')).strip()))
        system, machine, state, remote_dir = found
        arch = ARCH_ALIASES.get(machine)
        if system != 'Linux' or arch is None:
            raise PayloadError('hotstack.snapset modules run on Linux x86_64 or aarch64 hosts; %s is %s %s' % (host, system, machine))
        if arch not in payloads:
            raise PayloadError('this build of hotstack.snapset carries no %s executable (it has %s), and %s is %s' % (
                arch, ', '.join(sorted(payloads)), host, machine))
        payload = payloads[arch]
        executable = '%s/%s/hotstack-modules' % (remote_dir, payload['sha256'])
        if state == 'ready':
            return executable, None
        if self._connection._shell.tmpdir is None:
            self._make_tmp_path()
        remote_xz = self._connection._shell.join_path(self._connection._shell.tmpdir, 'hotstack-modules.xz')
        self._transfer_file(os.path.join(PAYLOAD_DIR, payload['file']), remote_xz)
        self._fixup_perms2([self._connection._shell.tmpdir, remote_xz])
        install = self._low_level_execute_command(install_command(remote_dir, payload['sha256'], remote_xz, payloads))
        out = to_text(install.get('stdout', ''))
        if install.get('rc') != 0 or 'installed' not in out.splitlines():
            detail = [line[len(ERROR_MARK):] for line in out.splitlines() if line.startswith(ERROR_MARK)]
            reason = detail[-1] if detail else (to_text(install.get('stderr', '')).strip() or 'rc=%s' % install.get('rc'))
            raise PayloadError('hotstack.snapset: could not install the module executable on %s: %s' % (host, reason))
        return executable, {'arch': arch, 'sha256': payload['sha256'], 'bytes_copied': payload['size'], 'path': executable}
