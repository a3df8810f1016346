// 03's install hook through real ansible-playbook, on this machine only (no cloud, no cluster): the
// "controller" is localhost (ansible_connection=local), the install playbook is
// test/playbooks/install-kubeconfig.yml (Hotstack's 03 shape: reads the outputs, adds the controller,
// leaves a kubeconfig on it). import_playbook is static: its path is templated from extra vars when
// Ansible parses the playbooks, which is how Hotstack users give every variable (-e @vars.yml).
// The full cycle with this installer and the clusterlab is in workflow-e2e.test.ts.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT, runPlaybook } from '../helpers/ansible.ts';

const INSTALLER = 'test/playbooks/install-kubeconfig.yml';

describe("03-install_ocp.yml runs the user's install playbook before revive/prepare", { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-installer-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let count = 0;
  /** A fresh work dir with 01's outputs file, and the vars that make localhost the controller. */
  function setup(extra: Record<string, unknown> = {}) {
    const work = join(dir, `run${++count}`);
    mkdirSync(work);
    writeFileSync(
      join(work, 'inst-outputs.yaml'),
      'controller_ansible_host: {name: controller-0, ansible_host: 127.0.0.1, ansible_ssh_user: root, groups: controllers}\n',
    );
    writeFileSync(join(work, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
    const remote = join(work, 'controller', '.kube', 'config');
    const vars = {
      stack_name: 'inst',
      hotstack_work_dir: work,
      ansible_connection: 'local',
      ansible_python_interpreter: '/usr/bin/python3',
      hotstack_kubeconfig_remote: remote,
      test_install_kubeconfig: join(work, 'kubeconfig'),
      test_install_kubeconfig_remote: remote,
      ...extra,
    };
    return { work, remote, vars };
  }
  const play = (vars: Record<string, unknown>, env: Record<string, string> = {}) =>
    runPlaybook(join(ROOT, 'playbooks', '03-install_ocp.yml'), { extraVars: vars, env });

  test('no install playbook: 03 says how to name one', async () => {
    const { remote, vars } = setup();
    const run = await play(vars);
    assert.notEqual(run.exitCode, 0);
    assert.match(run.output, /PLAY \[No install playbook\]/);
    assert.match(run.output, /No cluster on the controller .*-e hotstack_install_playbook=<path>/s);
    assert.ok(!existsSync(remote));
  });

  test('a relative path (from the repository root): the installer leaves the kubeconfig, then 03 finds it', async () => {
    const { remote, vars } = setup({ hotstack_install_playbook: INSTALLER });
    const run = await play(vars);
    assert.equal(run.exitCode, 0, run.output);
    assert.ok(existsSync(remote), 'the kubeconfig is on the controller');
    // the installer's plays run between 03's first play and the cluster steps
    assert.match(
      run.output,
      /PLAY \[OpenShift on the controller\][\s\S]*PLAY \[Find the controller \(as Hotstack's 03 does\)\][\s\S]*TASK \[Leave the cluster's kubeconfig on the controller\][\s\S]*changed: \[controller-0\][\s\S]*PLAY \[Install, revive or prepare the cluster\][\s\S]*TASK \[Find the cluster's kubeconfig on the controller\]/,
    );
  });

  test('a ~ path is expanded (the installer lives outside the repository)', async () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    copyFileSync(join(ROOT, INSTALLER), join(home, 'my-install.yml'));
    const { remote, vars } = setup({ hotstack_install_playbook: '~/my-install.yml' });
    // its playbook_dir is ~: it reads the outputs through hotstack_work_dir, as 03 does
    const run = await play(vars, { HOME: home });
    assert.equal(run.exitCode, 0, run.output);
    assert.ok(existsSync(remote));
  });

  test('a restore (hotstack_revive_snapshot) skips the installer', async () => {
    const { remote, vars } = setup({ hotstack_install_playbook: INSTALLER, hotstack_revive_snapshot: true });
    const run = await play(vars);
    assert.match(run.output, /PLAY \[No install playbook\]/);
    assert.doesNotMatch(run.output, /Leave the cluster's kubeconfig/);
    // revive then runs (and fails here: there is no cluster): the installer did not stand in for it
    assert.match(run.output, /TASK \[Revive the restored cluster\][\s\S]*fatal: \[controller-0\]/);
    assert.ok(!existsSync(remote));
  });

  test('a run-wide hotstack_prepare_for_snapshot with an installer is refused before anything runs', async () => {
    const { remote, vars } = setup({ hotstack_install_playbook: INSTALLER, hotstack_prepare_for_snapshot: true });
    const run = await play(vars);
    assert.notEqual(run.exitCode, 0);
    assert.match(run.output, /hotstack_prepare_for_snapshot=true is set for the whole run.*Add -e hotstack_prepare_for_snapshot=false/s);
    assert.doesNotMatch(run.output, /Leave the cluster's kubeconfig/);
    assert.ok(!existsSync(remote));
  });

  test('an install playbook that does not exist stops the run at parse time, naming it', async () => {
    const { vars } = setup({ hotstack_install_playbook: 'no/such-install.yml' });
    const run = await play(vars);
    assert.notEqual(run.exitCode, 0);
    assert.match(run.output, /no\/such-install\.yml/);
    assert.doesNotMatch(run.output, /PLAY \[/);
  });
});
