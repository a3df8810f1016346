// openstack.cloud's auth options and the loader's warnings through real ansible-playbook against
// devcloud: region_name over a leftover OS_REGION_NAME, auth merged over the cloud's, a warning of
// the clouds.yaml reaching the play, a broken clouds.yaml failing the task, a cloud dict laid over
// the default cloud, a name without its domain refused as openstacksdk and Keystone refuse it. The task is
// hotstack_snapset in check mode on a server id that does not exist: when the failure names that
// server, the module logged in with the options given (nothing is created either way).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { load } from 'js-yaml';
import { CLOUD_NAME, CLOUDS_YAML, devcloudEnv } from '../../labs/devcloud/devcloud.ts';
import { runModuleTask } from '../helpers/ansible.ts';

const MISSING = randomUUID();
const SNAPSET_DATA = { instances: { ghost: { uuid: MISSING, role: 'controller', mac_address: 'fa:16:3e:00:00:01' } } };
const LOGGED_IN = new RegExp(`ghost.*${MISSING}`);

describe('auth options through ansible-playbook on devcloud', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-cloud-options-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const devcloud = () =>
    (load(readFileSync(CLOUDS_YAML, 'utf8')) as { clouds: Record<string, { auth: Record<string, string> }> }).clouds[CLOUD_NAME]!;

  test('region_name wins over a leftover OS_REGION_NAME', async () => {
    const env = { ...devcloudEnv(), OS_REGION_NAME: 'NoSuchRegion' };
    const leftover = await runModuleTask('hotstack_snapset', { snapset_data: SNAPSET_DATA }, { env, check: true });
    assert.match(String(leftover.result?.msg), /Region NoSuchRegion is not a valid region name for cloud devcloud/);
    const chosen = await runModuleTask('hotstack_snapset', { snapset_data: SNAPSET_DATA, region_name: 'RegionOne' }, { env, check: true });
    assert.equal(chosen.result?.failed, true);
    assert.match(String(chosen.result?.msg), LOGGED_IN, String(chosen.result?.msg));
  });

  test("auth alone (no cloud, no clouds.yaml) logs in; a wrong password in auth overrides the cloud's and is refused", async () => {
    const { auth } = devcloud();
    const alone = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA, auth, auth_type: 'password' },
      { env: { OS_CLIENT_CONFIG_FILE: join(dir, 'none.yaml') }, check: true },
    );
    assert.match(String(alone.result?.msg), LOGGED_IN, String(alone.result?.msg));
    assert.ok(!alone.output.includes(auth.password!), 'the password never shows');
    const wrong = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA, cloud: CLOUD_NAME, auth: { password: 'not-the-password' } },
      { env: devcloudEnv(), check: true },
    );
    assert.match(String(wrong.result?.msg), /credentials were refused \(HTTP 401\)/);
  });

  test('a warning of the clouds.yaml is an Ansible warning; a broken clouds.yaml fails the task with file and line', async () => {
    const text = readFileSync(CLOUDS_YAML, 'utf8');
    const duplicated = join(dir, 'duplicated.yaml');
    writeFileSync(duplicated, text.replace(/^(\s+)interface: public$/m, '$1interface: internal\n$1interface: public'));
    const run = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA },
      { env: { ...devcloudEnv(), OS_CLIENT_CONFIG_FILE: duplicated }, check: true },
    );
    assert.match(String(run.result?.msg), LOGGED_IN, String(run.result?.msg));
    assert.ok(
      (run.result?.warnings as string[] | undefined)?.some((w) => /duplicate key 'interface'/.test(w)),
      JSON.stringify(run.result?.warnings),
    );
    // Ansible wraps a warning to the terminal's width: compare without the line breaks.
    assert.match(run.output.replace(/\s+/g, ''), /\[WARNING\]:Configurationfile.*duplicated\.yaml:duplicatekey'interface'/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, `${text}  other: [\n`);
    const failed = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA },
      { env: { ...devcloudEnv(), OS_CLIENT_CONFIG_FILE: broken }, check: true },
    );
    assert.match(String(failed.result?.msg), new RegExp(`^Configuration file ${broken} is not valid YAML: .* at line \\d+, column \\d+$`));
  });

  test('a cloud dict is laid over the default cloud (OS_CLOUD): the file gives the credentials and domains', async () => {
    const over = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA, cloud: { region_name: 'RegionOne', interface: 'public' } },
      { env: devcloudEnv(), check: true },
    );
    assert.match(String(over.result?.msg), LOGGED_IN, String(over.result?.msg));
    const wrong = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA, cloud: { auth: { password: 'not-the-password' } } },
      { env: devcloudEnv(), check: true },
    );
    assert.match(String(wrong.result?.msg), /authentication to cloud 'devcloud' failed .*credentials were refused \(HTTP 401\)/);
  });

  test('a project named without its domain: refused before any request, as openstacksdk and Keystone refuse it', async () => {
    const { auth } = devcloud();
    const { project_domain_name: _dropped, ...noProjectDomain } = auth;
    const env = { OS_CLIENT_CONFIG_FILE: join(dir, 'none.yaml') };
    // v3password: keystoneauth's loader refuses it (openstacksdk fails in get_one)
    const v3 = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA, cloud: { auth_type: 'v3password', auth: noProjectDomain } },
      { env, check: true },
    );
    assert.match(
      String(v3.result?.msg),
      /^Cloud inline: auth_type v3password with 'project_name' needs 'project_domain_name' or 'project_domain_id'/,
    );
    // password (generic): keystoneauth sends the name without a domain, and Keystone refuses it...
    const generic = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: SNAPSET_DATA, cloud: { auth_type: 'password', auth: noProjectDomain } },
      { env, check: true },
    );
    assert.match(
      String(generic.result?.msg),
      /names the project "admin" without its domain: give project_domain_name or project_domain_id/,
    );
    assert.equal(generic.result?.stats && (generic.result.stats as { http_requests?: number }).http_requests, 0, 'nothing was sent');
    // ...as it does here: the request keystoneauth would send, sent to devcloud's Keystone by hand
    const response = await fetch(`${auth.auth_url}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: auth.username, domain: { name: auth.user_domain_name }, password: auth.password } },
          },
          scope: { project: { name: auth.project_name } },
        },
      }),
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /Expecting to find domain in project/);
  });
});
