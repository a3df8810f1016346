// The entry of the one executable that serves every module: Ansible runs it under the module's
// name (library/<name> are links to it), and the protocol layer picks the module by that name.
import { main } from '../lib/ansible/module.ts';
import { MODULES } from './registry.ts';

void main(MODULES);
