// The entry of the one executable that serves every module: Ansible runs it under the module's
// name (library/<name> are links to it), and the protocol layer picks the module by that name.
// Run as hotstack-snapset, or with a subcommand (list, show, verify, delete, prune), it is the CLI.
import { isCliInvocation, runCli } from '../cli/snapset.ts';
import { main } from '../lib/ansible/module.ts';
import { MODULES } from './registry.ts';

if (isCliInvocation(process.argv)) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
} else {
  void main(MODULES);
}
