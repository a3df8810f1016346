// The entry of the one executable that serves every module: Ansible runs it under the module's
// name (library/<name> are links to it), and the protocol layer picks the module by that name.
// Run as hotstack-snapset, or with a subcommand (list, show, verify, delete, prune), it is the CLI;
// with --sidecar MODULE it prints that module's ansible-doc sidecar (lib/ansible/sidecar-command.ts).
import { isCliInvocation, runCli } from '../cli/snapset.ts';
import { main } from '../lib/ansible/module.ts';
import { MODULES } from './registry.ts';

if (process.argv[2] === '--sidecar') {
  // Loaded only here: the documentation's code is no part of a module's start.
  void import('../lib/ansible/sidecar-command.ts')
    .then(({ printSidecar }) =>
      printSidecar(MODULES, process.argv[3], { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }),
    )
    .then((code) => {
      process.exitCode = code;
    });
} else if (isCliInvocation(process.argv)) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
} else {
  void main(MODULES);
}
