// Every shipped playbook (playbooks/*.yml) runs in check mode against devcloud: a user trying a
// playbook with --check first must get a clean run that changes nothing. Playbooks that need other
// extra vars than snapset_data say so in EXTRA_VARS below.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { load } from 'js-yaml';
import { bootDeployment, cleanup, type Deployment, devcloudConnection, devcloudEnv, imagesNamedFor } from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { ROOT, runPlaybook } from '../helpers/ansible.ts';

/** What a check run of a playbook gets to work on: one SHUTOFF server on devcloud. */
interface CheckContext {
  deployment: Deployment;
}

/**
 * Extra vars per playbook file name; a playbook not listed gets DEFAULT_EXTRA_VARS. A playbook that
 * cannot run in check mode at all would be listed with `null` and a comment saying why.
 */
const WORK_DIR = mkdtempSync(join(tmpdir(), 'hotstack-check-'));
const DEFAULT_EXTRA_VARS = (context: CheckContext) => ({ snapset_data: context.deployment.snapsetData, hotstack_work_dir: WORK_DIR });
/** The playbooks that start from a scenario get snapshot-sno's bootstrap_vars.yml, as a user passes it with -e @. */
const WITH_SCENARIO = (context: CheckContext) => ({
  ...(load(readFileSync(join(ROOT, 'scenarios/snapshot-sno/bootstrap_vars.yml'), 'utf8')) as Record<string, unknown>),
  ...DEFAULT_EXTRA_VARS(context),
  os_cloud: 'devcloud',
});
const EXTRA_VARS: Record<string, ((context: CheckContext) => Record<string, unknown>) | null> = {
  '01-infra.yml': WITH_SCENARIO,
  '02-bootstrap_controller.yml': WITH_SCENARIO,
  '03-install_ocp.yml': WITH_SCENARIO,
  'bootstrap.yml': WITH_SCENARIO,
  'create-snapset.yml': WITH_SCENARIO,
  'rotate-snapsets.yml': WITH_SCENARIO,
  'delete-deployment.yml': WITH_SCENARIO,
};

const PLAYBOOKS = readdirSync(join(ROOT, 'playbooks'))
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();

describe('every playbook in check mode', { timeout: 900_000 }, () => {
  let conn: Connection;
  let context: CheckContext;

  before(async () => {
    conn = devcloudConnection();
    context = { deployment: await bootDeployment(conn, { controller: 'controller' }) };
  });
  after(async () => {
    if (context) await cleanup(conn, context.deployment);
    rmSync(WORK_DIR, { recursive: true, force: true });
  });

  test('there are playbooks to check', () => {
    assert.ok(PLAYBOOKS.length > 0);
  });

  for (const playbook of PLAYBOOKS) {
    const vars = playbook in EXTRA_VARS ? EXTRA_VARS[playbook] : DEFAULT_EXTRA_VARS;
    test(`ansible-playbook --check playbooks/${playbook}`, {
      skip: vars === null ? 'listed as not runnable in check mode' : false,
    }, async () => {
      const run = await runPlaybook(join(ROOT, 'playbooks', playbook), { check: true, env: devcloudEnv(), extraVars: vars!(context) });
      assert.equal(run.exitCode, 0, run.output);
      assert.match(run.output, /failed=0\b/);
      assert.deepEqual(await imagesNamedFor(conn, context.deployment.suffix), [], 'check mode created no image');
    });
  }

  test('the create-snapset playbook in check mode names the images it would create', async () => {
    const run = await runPlaybook(join(ROOT, 'playbooks', 'create-snapset.yml'), {
      check: true,
      env: devcloudEnv(),
      extraVars: WITH_SCENARIO(context),
    });
    assert.equal(run.exitCode, 0, run.output);
    const name = Object.keys(context.deployment.snapsetData.instances)[0]!;
    assert.match(run.output, new RegExp(`Check mode: hotstack-${name}-snapshot-[A-Za-z0-9_-]{8}`));
  });
});
