// openstack.cloud's auth options (auth, auth_type, region_name, interface, validate_certs, ca_cert,
// client_cert, client_key, api_timeout) with the meaning openstack.cloud's OpenStackModule gives
// them: it passes them to openstack.connect, whose get_one applies them over the chosen cloud (auth
// merged key by key, None skipped), and refuses them next to a cloud dict. Expected values are
// written from those rules (module_utils/openstack.py, loader.get_one), not from our output.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { defineModule, executeModule } from '../../../lib/ansible/module.ts';
import { OPENSTACK_OPTIONS, openstackConnection } from '../../../lib/ansible/openstack.ts';
import { type CloudConfig, CloudConfigError, type LoadCloudOptions, loadCloudConfig } from '../../../lib/openstack/clouds.ts';
import { type AuthOptionArgs, cloudSelection } from '../../../lib/openstack/config/overrides.ts';

const AUTH_URL = 'https://keystone.example.com:5000/v3';
const PASSWORD = 'S3cr3t-Pa55';
const CLOUDS = `clouds:
  mine:
    region_name: RegionOne
    interface: internal
    cacert: /etc/mine/ca.pem
    api_timeout: 30
    auth:
      auth_url: ${AUTH_URL}
      username: alice
      password: ${PASSWORD}
      project_name: proj
      user_domain_name: Default
      project_domain_name: Default
  regional:
    regions: [RegionOne, RegionTwo]
    auth: {auth_url: ${AUTH_URL}, username: bob, password: ${PASSWORD}, project_name: proj}
  other:
    auth: {auth_url: https://other.example.com/v3, username: carol, password: ${PASSWORD}}
`;

function sandbox(t: { after: (fn: () => void) => void }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-options-test-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const dirs = {
    cwd: path.join(root, 'cwd'),
    home: path.join(root, 'home'),
    siteDir: path.join(root, 'xdg'),
    systemDir: path.join(root, 'etc'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dirs.cwd, 'clouds.yaml');
  fs.writeFileSync(file, CLOUDS);
  /** The cloud a module with these options would use. */
  const load = (args: AuthOptionArgs, env: Record<string, string> = {}): CloudConfig => {
    const selection = cloudSelection(args);
    const options: LoadCloudOptions = { ...dirs, env, overrides: selection.overrides };
    if (selection.cloud) options.cloud = selection.cloud;
    if (selection.regionName) options.regionName = selection.regionName;
    return loadCloudConfig(options);
  };
  return { root, file, dirs, load };
}

test('no auth option: the cloud is used as clouds.yaml says', (t) => {
  const { load } = sandbox(t);
  const cloud = load({ cloud: 'mine' });
  assert.equal(cloud.regionName, 'RegionOne');
  assert.equal(cloud.interface, 'internal');
  assert.equal(cloud.cacert, '/etc/mine/ca.pem');
  assert.equal(cloud.apiTimeoutSeconds, 30);
  assert.equal(cloud.verify, true);
});

test("auth is merged key by key over the cloud's auth; auth_type replaces the cloud's", (t) => {
  const { load } = sandbox(t);
  const cloud = load({ cloud: 'mine', auth: { username: 'dave', password: 'other-pass-1' } });
  assert.equal(cloud.auth.username, 'dave');
  assert.equal(cloud.auth.password, 'other-pass-1');
  assert.equal(cloud.auth.auth_url, AUTH_URL, "keys not given stay the cloud's");
  assert.equal(cloud.auth.project_name, 'proj');
  assert.ok(cloud.secrets.includes('other-pass-1'));
  const appCred = load({
    cloud: 'mine',
    auth_type: 'v3applicationcredential',
    auth: { application_credential_id: 'ac-id', application_credential_secret: 'ac-secret' },
  });
  assert.equal(appCred.authType, 'v3applicationcredential');
  assert.equal(appCred.auth.application_credential_id, 'ac-id');
  assert.ok(appCred.secrets.includes('ac-secret'));
});

test('auth alone, with no cloud chosen among several, is the whole cloud (openstacksdk: defaults + arguments)', (t) => {
  const { load } = sandbox(t);
  const cloud = load({ auth: { auth_url: 'https://only.example.com/v3', username: 'erin', password: PASSWORD, project_name: 'p' } });
  assert.equal(cloud.name, 'options');
  assert.equal(cloud.auth.auth_url, 'https://only.example.com/v3');
  assert.equal(cloud.interface, 'public');
  assert.equal(cloud.regionName, undefined, 'nothing of the file clouds leaks in');
  assert.equal(cloud.cacert, undefined);
  // With OS_CLOUD set, auth merges over that cloud instead (get_one's default cloud).
  const over = load({ auth: { username: 'erin' } }, { OS_CLOUD: 'mine' });
  assert.equal(over.name, 'mine');
  assert.equal(over.auth.username, 'erin');
  assert.equal(over.auth.password, PASSWORD);
});

test("region_name wins over a leftover OS_REGION_NAME and is checked against the cloud's regions", (t) => {
  const { load } = sandbox(t);
  assert.equal(load({ cloud: 'regional' }, { OS_REGION_NAME: 'RegionTwo' }).regionName, 'RegionTwo');
  assert.equal(load({ cloud: 'regional', region_name: 'RegionOne' }, { OS_REGION_NAME: 'RegionTwo' }).regionName, 'RegionOne');
  assert.equal(load({ cloud: 'other', region_name: 'Elsewhere' }).regionName, 'Elsewhere', 'a cloud without regions takes the name as is');
  assert.throws(
    () => load({ cloud: 'mine', region_name: 'Elsewhere' }),
    /Valid choices are RegionOne/,
    'a region_name in the cloud is its one known region',
  );
  assert.throws(
    () => load({ cloud: 'regional', region_name: 'RegionNine' }),
    (error: unknown) => error instanceof CloudConfigError && /RegionNine is not a valid region name for cloud regional/.test(error.message),
  );
});

test("interface, validate_certs, ca_cert, client_cert, client_key and api_timeout replace the cloud's values", (t) => {
  const { load } = sandbox(t);
  const cloud = load({
    cloud: 'mine',
    interface: 'admin',
    ca_cert: '/opt/ca.pem',
    client_cert: '~/tls/client.pem',
    client_key: '~/tls/client.key',
    api_timeout: 5,
  });
  assert.equal(cloud.interface, 'admin');
  assert.equal(cloud.cacert, '/opt/ca.pem');
  assert.ok(cloud.cert?.endsWith('/home/tls/client.pem'), cloud.cert);
  assert.ok(cloud.key?.endsWith('/home/tls/client.key'), cloud.key);
  assert.equal(cloud.apiTimeoutSeconds, 5);
  const unverified = load({ cloud: 'mine', validate_certs: false });
  assert.equal(unverified.verify, false);
  assert.equal(unverified.cacert, undefined, 'verify false drops the cacert');
  assert.ok(unverified.warnings.some((w) => /cacert/.test(w)));
});

test("validate_certs true does not beat a cloud's insecure: true (openstacksdk: insecure wins), and says so", (t) => {
  const { file, load } = sandbox(t);
  fs.appendFileSync(file, `  lax:\n    insecure: true\n    auth: {auth_url: ${AUTH_URL}, username: u, password: ${PASSWORD}}\n`);
  const cloud = load({ cloud: 'lax', validate_certs: true });
  assert.equal(cloud.verify, false);
  assert.ok(
    cloud.warnings.some((w) => /validate_certs is true but .*insecure/.test(w)),
    cloud.warnings.join('\n'),
  );
});

test("a cloud dict with any other auth option is refused with openstack.cloud's message", () => {
  const entry = { auth: { auth_url: AUTH_URL, username: 'u', password: PASSWORD } };
  for (const option of [
    'auth',
    'auth_type',
    'region_name',
    'validate_certs',
    'ca_cert',
    'client_cert',
    'client_key',
    'api_timeout',
    'interface',
  ] as const) {
    const value = option === 'auth' ? { username: 'x' } : option === 'validate_certs' ? false : option === 'api_timeout' ? 5 : 'public';
    assert.throws(
      () => cloudSelection({ cloud: entry, [option]: value }),
      (error: unknown) =>
        error instanceof CloudConfigError &&
        error.message.includes(`also a value was provided for ${option}.`) &&
        !error.message.includes(PASSWORD),
      option,
    );
  }
  assert.deepEqual(cloudSelection({ cloud: entry }), { cloud: entry, overrides: {} });
  assert.deepEqual(cloudSelection({ cloud: 'x', region_name: 'R', interface: null, api_timeout: 3 }), {
    cloud: 'x',
    regionName: 'R',
    overrides: { api_timeout: 3 },
  });
});

/** A module with the OpenStack options whose run() only connects and reports what it got. */
const probe = defineModule({
  name: 'probe',
  shortDescription: 'Connects and reports the cloud',
  description: ['For tests.'],
  options: OPENSTACK_OPTIONS,
  checkMode: 'full',
  examples: '',
  returns: {},
  async run(args, ctx) {
    const conn = openstackConnection(ctx, args);
    return {
      cloud: conn.cloud.name,
      region: conn.cloud.regionName ?? null,
      user: conn.cloud.auth.username,
      password: conn.cloud.auth.password,
      timeout_ms: conn.http.timeoutMs,
    };
  },
});

/** Runs `fn` with OS_* variables replaced by `env` (and the clouds file forced), then restores them. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('OS_')) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

test("module: the loader's warnings are the module's Ansible warnings; auth as a JSON string and aliases work; secrets masked", async (t) => {
  const { root, file } = sandbox(t);
  const dup = path.join(root, 'dup.yaml');
  fs.writeFileSync(dup, `${CLOUDS}  mine:\n    auth: {auth_url: ${AUTH_URL}, username: last, password: ${PASSWORD}}\n`);
  const secure = path.join(root, 'secure.yaml');
  fs.writeFileSync(secure, 'clouds: {}\n');
  const result = await withEnv({ OS_CLIENT_CONFIG_FILE: dup, OS_CLIENT_SECURE_FILE: secure, OS_REGION_NAME: 'Leftover' }, () =>
    executeModule(
      probe,
      { cloud: 'mine', region_name: 'Chosen', auth: JSON.stringify({ password: 'json-pass-word' }), verify: false, endpoint_type: 'admin' },
      () => {},
    ),
  );
  assert.equal(result.failed, undefined, JSON.stringify(result));
  assert.equal(result.cloud, 'mine');
  assert.equal(result.user, 'last', "the file's last definition of the cloud");
  assert.equal(result.region, 'Chosen');
  assert.equal(result.password, '********', 'the password given in auth is masked');
  assert.equal(result.timeout_ms, 60_000, 'the last definition has no api_timeout');
  const warnings = result.warnings as string[];
  assert.ok(
    warnings.some((w) => w.includes(dup) && /duplicate key 'mine'/.test(w)),
    JSON.stringify(warnings),
  );
  assert.ok(!JSON.stringify(result).includes('json-pass-word'));
  assert.ok(!JSON.stringify(result).includes(PASSWORD));
  const ca = path.join(root, 'ca.pem');
  fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  const viaFile = await withEnv({ OS_CLIENT_CONFIG_FILE: file, OS_CLIENT_SECURE_FILE: secure }, () =>
    executeModule(probe, { cloud: 'mine', api_timeout: '7', cacert: ca }, () => {}),
  );
  assert.equal(viaFile.timeout_ms, 7000, JSON.stringify(viaFile));
  assert.equal(viaFile.warnings, undefined);
  const clouds = await withEnv({ OS_CLIENT_CONFIG_FILE: file, OS_CLIENT_SECURE_FILE: secure }, () =>
    executeModule(probe, { cloud: 'mine', ca_cert: ca }, () => {}),
  );
  assert.equal(clouds.timeout_ms, 30_000, 'api_timeout from clouds.yaml');
});

test('module: a broken clouds file fails the task with the file and line, nothing else tried', async (t) => {
  const { root } = sandbox(t);
  const broken = path.join(root, 'broken.yaml');
  fs.writeFileSync(broken, `clouds:\n  mine:\n    auth: {password: ${PASSWORD}\n   x: [\n`);
  const result = await withEnv({ OS_CLIENT_CONFIG_FILE: broken }, () => executeModule(probe, { cloud: 'mine' }, () => {}));
  assert.equal(result.failed, true);
  assert.match(String(result.msg), new RegExp(`^Configuration file ${broken} is not valid YAML: .* at line \\d+, column \\d+$`));
  assert.ok(!JSON.stringify(result).includes(PASSWORD));
});
