// clouds.yaml rules (facts §4): every test works in its own temporary cwd/home/system directories with
// an explicit environment, never the real home or /etc.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  type CloudConfig,
  CloudConfigError,
  credentialsIn,
  type LoadCloudOptions,
  loadCloudConfig,
  parseConfigText,
  searchPaths,
  siteConfigDir,
} from '../../../lib/openstack/clouds.ts';
import { connect } from '../../../lib/openstack/connect.ts';
import { authRequestBody } from '../../../lib/openstack/session.ts';

interface Sandbox {
  cwd: string;
  home: string;
  systemDir: string;
  /** Stands for /etc/xdg/openstack. */
  siteDir: string;
  root: string;
  /** Writes a file (parents created) and returns its path. */
  write(file: string, content: string): string;
  load(options?: LoadCloudOptions): CloudConfig;
  fail(options?: LoadCloudOptions): CloudConfigError;
}

function sandbox(t: { after: (fn: () => void) => void }): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clouds-test-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const cwd = path.join(root, 'cwd');
  const home = path.join(root, 'home');
  const systemDir = path.join(root, 'etc', 'openstack');
  const siteDir = path.join(root, 'etc', 'xdg', 'openstack');
  for (const dir of [cwd, home, systemDir, siteDir]) fs.mkdirSync(dir, { recursive: true });
  const base = (options: LoadCloudOptions = {}): LoadCloudOptions => ({ cwd, home, systemDir, siteDir, env: {}, ...options });
  const box: Sandbox = {
    cwd,
    home,
    systemDir,
    siteDir,
    root,
    write(file, content) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      return file;
    },
    load: (options) => loadCloudConfig(base(options)),
    fail(options) {
      try {
        loadCloudConfig(base(options));
      } catch (error) {
        assert.ok(error instanceof CloudConfigError, `expected CloudConfigError, got ${String(error)}`);
        return error;
      }
      assert.fail('expected a CloudConfigError');
    },
  };
  return box;
}

const AUTH_URL = 'https://keystone.example.com:5000/v3';
const PASSWORD = 'S3cr3t-Pa55';

/** A clouds.yaml with password clouds; each cloud's username is its name. */
function cloudsYaml(...names: string[]): string {
  return (
    'clouds:\n' +
    names
      .map(
        (name) =>
          `  ${name}:\n    auth:\n      auth_url: ${AUTH_URL}\n      username: ${name}\n      password: ${PASSWORD}\n      project_name: admin\n`,
      )
      .join('')
  );
}

const userConfigDir = (box: Sandbox) => path.join(box.home, '.config', 'openstack');

// ------------------------------------------------------------------------------------------------
// Where the files are

test('the clouds file in cwd wins over ~/.config/openstack and the system dir; files are not merged', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('from_cwd'));
  box.write(path.join(userConfigDir(box), 'clouds.yaml'), cloudsYaml('from_home'));
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('from_etc'));
  const cloud = box.load();
  assert.equal(cloud.name, 'from_cwd');
  assert.deepEqual(cloud.sourceFiles, [path.join(box.cwd, 'clouds.yaml')]);
  // Not merged: the home file's cloud does not exist.
  const error = box.fail({ cloud: 'from_home' });
  assert.match(error.message, /Cloud from_home was not found/);
});

test('without a cwd file, ~/.config/openstack wins over the system dir, and the system dir is the last resort', (t) => {
  const box = sandbox(t);
  box.write(path.join(userConfigDir(box), 'clouds.yml'), cloudsYaml('from_home'));
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('from_etc'));
  assert.equal(box.load().name, 'from_home');
  fs.rmSync(path.join(userConfigDir(box), 'clouds.yml'));
  const cloud = box.load();
  assert.equal(cloud.name, 'from_etc');
  assert.deepEqual(cloud.sourceFiles, [path.join(box.systemDir, 'clouds.yaml')]);
});

test('in one directory clouds.yaml comes before clouds.yml and clouds.json; JSON files are read', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.json'),
    JSON.stringify({ clouds: { json_cloud: { auth: { auth_url: AUTH_URL, username: 'u', password: 'p' } } } }),
  );
  assert.equal(box.load().name, 'json_cloud');
  box.write(path.join(box.cwd, 'clouds.yml'), cloudsYaml('yml_cloud'));
  assert.equal(box.load().name, 'yml_cloud');
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('yaml_cloud'));
  assert.equal(box.load().name, 'yaml_cloud');
});

test('XDG_CONFIG_HOME/openstack is searched before ~/.config/openstack', (t) => {
  const box = sandbox(t);
  const xdg = path.join(box.root, 'xdg');
  box.write(path.join(xdg, 'openstack', 'clouds.yaml'), cloudsYaml('from_xdg'));
  box.write(path.join(userConfigDir(box), 'clouds.yaml'), cloudsYaml('from_home'));
  assert.equal(box.load({ env: { XDG_CONFIG_HOME: xdg } }).name, 'from_xdg');
  assert.equal(box.load().name, 'from_home');
  const paths = searchPaths({
    cwd: box.cwd,
    home: box.home,
    siteDir: box.siteDir,
    systemDir: box.systemDir,
    env: { XDG_CONFIG_HOME: xdg },
  });
  assert.deepEqual(paths.directories, [box.cwd, path.join(xdg, 'openstack'), userConfigDir(box), box.siteDir, box.systemDir]);
});

// openstacksdk's CONFIG_SEARCH_PATH: cwd, user config dir, ~/.config/openstack, the platformdirs
// site config dir (/etc/xdg/openstack), /etc/openstack.
test('sdk: /etc/xdg/openstack (the site config dir) is searched after ~/.config/openstack and before /etc/openstack', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('from_etc'));
  box.write(path.join(box.siteDir, 'clouds.yaml'), cloudsYaml('from_xdg_site'));
  assert.equal(box.load().name, 'from_xdg_site');
  box.write(path.join(userConfigDir(box), 'clouds.yaml'), cloudsYaml('from_home'));
  assert.equal(box.load().name, 'from_home');
  // Without an explicit siteDir, the directory comes from XDG_CONFIG_DIRS, /etc/xdg by default.
  const at = (env: Record<string, string>) => searchPaths({ cwd: box.cwd, home: box.home, env }).directories;
  assert.deepEqual(at({}), [box.cwd, userConfigDir(box), '/etc/xdg/openstack', '/etc/openstack']);
  assert.deepEqual(at({ XDG_CONFIG_DIRS: '/opt/conf' }), [box.cwd, userConfigDir(box), '/opt/conf/openstack', '/etc/openstack']);
  assert.equal(siteConfigDir({ XDG_CONFIG_DIRS: '  ' }, box.home), '/etc/xdg/openstack');
  // platformdirs with multipath joins every entry with ':' into one path, which is what is searched.
  assert.equal(siteConfigDir({ XDG_CONFIG_DIRS: '/a:/b' }, box.home), '/a/openstack:/b/openstack');
});

test('OS_CLIENT_CONFIG_FILE is read before every searched file', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('from_cwd'));
  const custom = box.write(path.join(box.root, 'elsewhere', 'my-clouds.yaml'), cloudsYaml('from_env_file'));
  const cloud = box.load({ env: { OS_CLIENT_CONFIG_FILE: custom } });
  assert.equal(cloud.name, 'from_env_file');
  assert.deepEqual(cloud.sourceFiles, [custom]);
});

test('a missing OS_CLIENT_CONFIG_FILE falls through to the search, with a warning', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('from_cwd'));
  const missing = path.join(box.root, 'nope.yaml');
  const cloud = box.load({ env: { OS_CLIENT_CONFIG_FILE: missing } });
  assert.equal(cloud.name, 'from_cwd');
  assert.ok(
    cloud.warnings.some((w) => w.includes(missing)),
    cloud.warnings.join('\n'),
  );
});

// openstacksdk 0.101 (Debian 12, the `openstack` CLI) up to 4.13: _load_yaml_json_file catches only
// IOError, so yaml.safe_load's error (a YAMLError with the file, line and column) reaches the caller
// and nothing else is tried.
test('sdk: an unparseable clouds.yaml is an error naming the file and line; the next file is not used', (t) => {
  const box = sandbox(t);
  const broken = box.write(path.join(box.cwd, 'clouds.yaml'), `clouds:\n  bad:\n    auth: {password: ${PASSWORD}\n  - [\n`);
  box.write(path.join(userConfigDir(box), 'clouds.yaml'), cloudsYaml('good'));
  const error = box.fail();
  assert.ok(error.message.startsWith(`Configuration file ${broken} is not valid YAML`), error.message);
  assert.match(error.message, /at line 4, column \d+/);
  assert.ok(!error.message.includes(PASSWORD), 'the message must not quote the file');
  assert.ok(!error.message.includes('good'));
});

test("sdk: a clouds.yaml with two documents is an error naming the file and the second document's line", (t) => {
  const box = sandbox(t);
  const broken = box.write(path.join(box.cwd, 'clouds.yaml'), `${cloudsYaml('one')}---\n${cloudsYaml('two')}`);
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('good'));
  const error = box.fail();
  assert.ok(error.message.includes(broken), error.message);
  assert.match(error.message, /single document.* at line 8\b/);
  assert.ok(!error.message.includes(PASSWORD));
});

test('sdk: an unparseable clouds.json is an error with its line and column, without quoting it', (t) => {
  const box = sandbox(t);
  const broken = box.write(path.join(box.cwd, 'clouds.json'), `{"clouds": {"x": {"auth":\n {"password": "${PASSWORD}" "user": 1}}}}`);
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('good'));
  const error = box.fail();
  assert.ok(error.message.includes(broken), error.message);
  assert.match(error.message, /not valid JSON at line 2, column \d+/);
  assert.ok(!error.message.includes(PASSWORD));
  box.write(broken, `{"clouds": {"x": {"auth": {"password": "${PASSWORD}"`);
  assert.ok(!box.fail().message.includes(PASSWORD));
});

test('sdk: a malformed secure.yaml is an error naming it, not a missing password', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  mine:\n    auth:\n      auth_url: ${AUTH_URL}\n      username: u\n      project_name: p\n`,
  );
  const secure = box.write(path.join(box.cwd, 'secure.yaml'), `clouds:\n  mine:\n    auth:\n      password: "${PASSWORD}\n`);
  box.write(path.join(box.systemDir, 'secure.yaml'), `clouds:\n  mine:\n    auth:\n      password: other\n`);
  const error = box.fail();
  assert.ok(error.message.startsWith(`Configuration file ${secure} is not valid YAML`), error.message);
  assert.match(error.message, /line \d+/);
  assert.ok(!error.message.includes(PASSWORD));
});

test('an unreadable clouds file is skipped with a warning, as openstacksdk skips EACCES', {
  skip: process.getuid?.() === 0 ? 'root reads every file' : false,
}, (t) => {
  const box = sandbox(t);
  const locked = box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('locked'));
  fs.chmodSync(locked, 0);
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('good'));
  const cloud = box.load();
  assert.equal(cloud.name, 'good');
  assert.ok(
    cloud.warnings.some((w) => w.includes(locked)),
    cloud.warnings.join('\n'),
  );
});

// PyYAML (so openstacksdk and the CLI) keeps the last value of a repeated key, silently.
test('sdk: a duplicated key takes the last value, with a warning naming the file, key and line', (t) => {
  const box = sandbox(t);
  const file = box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  mine:\n    auth:\n      auth_url: ${AUTH_URL}\n      username: u\n      password: first-${PASSWORD}\n      password: ${PASSWORD}\n      project_name: p\n`,
  );
  box.write(path.join(box.systemDir, 'clouds.yaml'), cloudsYaml('other'));
  const cloud = box.load();
  assert.equal(cloud.name, 'mine');
  assert.equal(cloud.auth.password, PASSWORD);
  assert.deepEqual(cloud.sourceFiles, [file]);
  const warning = cloud.warnings.find((w) => w.includes('duplicate'));
  assert.ok(warning, cloud.warnings.join('\n'));
  assert.ok(warning.includes(file) && warning.includes("'password'") && warning.includes('line 7'), warning);
  assert.ok(!cloud.warnings.join('\n').includes(PASSWORD));
});

test("sdk: a cloud defined twice in one file is the file's last definition, never a cloud of another file", (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  mine:\n    auth: {auth_url: ${AUTH_URL}, username: first, password: x, project_name: p}\n` +
      `  other:\n    auth: {auth_url: ${AUTH_URL}, username: o, password: x, project_name: p}\n` +
      `  mine:\n    region_name: RegionTwo\n    auth: {auth_url: ${AUTH_URL}, username: last, password: x, project_name: p}\n`,
  );
  box.write(path.join(userConfigDir(box), 'clouds.yaml'), cloudsYaml('mine'));
  const cloud = box.load({ cloud: 'mine' });
  assert.equal(cloud.auth.username, 'last');
  assert.equal(cloud.regionName, 'RegionTwo');
  assert.deepEqual(cloud.sourceFiles, [path.join(box.cwd, 'clouds.yaml')]);
  assert.ok(
    cloud.warnings.some((w) => /duplicate key 'mine' at line 6/.test(w)),
    cloud.warnings.join('\n'),
  );
});

test('a clouds file that is not a mapping is an error naming the file', (t) => {
  const box = sandbox(t);
  const file = box.write(path.join(box.cwd, 'clouds.yaml'), '- just\n- a list\n');
  const error = box.fail();
  assert.ok(error.message.includes(file), error.message);
});

test('YAML is read as PyYAML reads it: yes/no booleans, numbers as exact text, y/n stay strings', () => {
  const { data, duplicates } = parseConfigText(
    'a: yes\nb: off\nc: y\nd: 3\ne: 2.10\nf: 12345678901234567890123456789012\ng: 2024-01-01\nbase: &b {x: 1}\nm:\n  <<: *b\n  z: 2\n',
    'clouds.yaml',
  );
  assert.deepEqual(data, {
    a: true,
    b: false,
    c: 'y',
    d: '3',
    e: '2.10',
    f: '12345678901234567890123456789012',
    g: '2024-01-01',
    base: { x: '1' },
    m: { x: '1', z: '2' },
  });
  assert.deepEqual(duplicates, [], 'a merge key is not a duplicate');
});

// ------------------------------------------------------------------------------------------------
// secure.yaml

test('secure.yaml is deep-merged over clouds.yaml, and its own search finds it in another directory', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  prod:\n    region_name: RegionOne\n    auth:\n      auth_url: ${AUTH_URL}\n      username: admin\n      project_name: admin\n      password: placeholder\n`,
  );
  const secure = box.write(path.join(userConfigDir(box), 'secure.yaml'), `clouds:\n  prod:\n    auth:\n      password: ${PASSWORD}\n`);
  const cloud = box.load();
  assert.equal(cloud.auth.password, PASSWORD);
  // Keys the secure file does not name survive (recursive merge, not replacement of `auth`).
  assert.equal(cloud.auth.username, 'admin');
  assert.equal(cloud.auth.auth_url, AUTH_URL);
  assert.equal(cloud.regionName, 'RegionOne');
  assert.deepEqual(cloud.sourceFiles, [path.join(box.cwd, 'clouds.yaml'), secure]);
});

test('OS_CLIENT_SECURE_FILE comes before the searched secure files', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), `clouds:\n  prod:\n    auth:\n      auth_url: ${AUTH_URL}\n      username: admin\n`);
  box.write(path.join(box.cwd, 'secure.yaml'), 'clouds:\n  prod:\n    auth:\n      password: from-cwd\n');
  const custom = box.write(
    path.join(box.root, 'vault', 'secure.json'),
    JSON.stringify({ clouds: { prod: { auth: { password: 'from-env-file' } } } }),
  );
  assert.equal(box.load().auth.password, 'from-cwd');
  assert.equal(box.load({ env: { OS_CLIENT_SECURE_FILE: custom } }).auth.password, 'from-env-file');
});

// ------------------------------------------------------------------------------------------------
// Which cloud

test('OS_CLOUD selects the cloud; an explicit name beats OS_CLOUD', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('alpha', 'beta', 'gamma'));
  assert.equal(box.load({ env: { OS_CLOUD: 'beta' } }).name, 'beta');
  assert.equal(box.load({ env: { OS_CLOUD: 'beta' } }).auth.username, 'beta');
  assert.equal(box.load({ env: { OS_CLOUD: 'beta' }, cloud: 'gamma' }).name, 'gamma');
});

test('the only cloud is chosen without a name; with several and no name the error lists them', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('solo'));
  assert.equal(box.load().name, 'solo');
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('alpha', 'beta'));
  const error = box.fail();
  assert.match(error.message, /alpha, beta/);
  assert.ok(!error.message.includes(PASSWORD));
});

test('an unknown cloud name: "Cloud X was not found." with the available names and the file, never a password', (t) => {
  const box = sandbox(t);
  const file = box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('alpha', 'beta'));
  const error = box.fail({ cloud: 'gamma' });
  assert.match(error.message, /^Cloud gamma was not found\./);
  assert.match(error.message, /Available clouds: alpha, beta/);
  assert.ok(error.message.includes(file), error.message);
  assert.ok(!error.message.includes(PASSWORD));
  // The same through OS_CLOUD.
  assert.match(box.fail({ env: { OS_CLOUD: 'delta', OS_PASSWORD: PASSWORD } }).message, /^Cloud delta was not found\./);
});

test('no file and no environment: the error names the places searched', (t) => {
  const box = sandbox(t);
  const error = box.fail();
  assert.match(error.message, /No cloud is configured/);
  assert.ok(error.message.includes(path.join(box.systemDir, 'clouds.yaml')), error.message);
  assert.match(box.fail({ cloud: 'x' }).message, /Cloud x was not found\..*No clouds file was found/);
});

// ------------------------------------------------------------------------------------------------
// The environment cloud

const ENV_CREDENTIALS = {
  OS_AUTH_URL: AUTH_URL,
  OS_USERNAME: 'envuser',
  OS_PASSWORD: PASSWORD,
  OS_PROJECT_NAME: 'envproject',
  OS_USER_DOMAIN_NAME: 'Default',
  OS_PROJECT_DOMAIN_NAME: 'Default',
};

test('OS_* variables make the cloud "envvars", chosen when OS_CLOUD is not set; OS_TEST/STD/LOG are ignored', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('filecloud'));
  const cloud = box.load({
    env: {
      ...ENV_CREDENTIALS,
      OS_REGION_NAME: 'RegionTwo',
      OS_IDENTITY_API_VERSION: '3',
      OS_TEST_TIMEOUT: '60',
      OS_STDOUT_CAPTURE: '1',
      OS_LOG_CAPTURE: '1',
      PATH: '/bin',
    },
  });
  assert.equal(cloud.name, 'envvars');
  assert.equal(cloud.authType, 'password');
  assert.deepEqual(cloud.auth, {
    auth_url: AUTH_URL,
    username: 'envuser',
    password: PASSWORD,
    project_name: 'envproject',
    user_domain_name: 'Default',
    project_domain_name: 'Default',
  });
  assert.equal(cloud.regionName, 'RegionTwo');
  assert.deepEqual(cloud.apiVersions, { identity: '3' });
  assert.deepEqual(cloud.secrets, [PASSWORD]);
});

test('OS_CLOUD_NAME renames the environment cloud; OS_CLOUD still picks a file cloud over it', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('filecloud'));
  assert.equal(box.load({ env: { ...ENV_CREDENTIALS, OS_CLOUD_NAME: 'fromenv' } }).name, 'fromenv');
  const named = box.load({ env: { ...ENV_CREDENTIALS, OS_CLOUD: 'filecloud' } });
  assert.equal(named.name, 'filecloud');
  // Environment variables do not merge into a named cloud.
  assert.equal(named.auth.username, 'filecloud');
  assert.equal(named.auth.project_domain_name, undefined);
  // ...and the environment cloud can be chosen by its name.
  assert.equal(box.load({ env: { ...ENV_CREDENTIALS, OS_CLOUD: 'envvars' } }).auth.username, 'envuser');
});

test('only selector variables do not make an environment cloud', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('filecloud'));
  const env = {
    OS_REGION_NAME: 'RegionOne',
    OS_CLOUD_NAME: 'x',
    OS_CLIENT_CONFIG_FILE: path.join(box.cwd, 'clouds.yaml'),
    OS_TEST_PATH: 't',
  };
  const cloud = box.load({ env });
  // Were an environment cloud made, there would be two clouds and no choice.
  assert.equal(cloud.name, 'filecloud');
  const error = box.fail({ env, cloud: 'x' });
  assert.match(error.message, /Cloud x was not found/);
});

test("a file cloud with the environment cloud's name is an error", (t) => {
  const box = sandbox(t);
  const file = box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('envvars', 'other'));
  const error = box.fail({ env: ENV_CREDENTIALS, cloud: 'other' });
  assert.match(error.message, /"envvars"/);
  assert.ok(error.message.includes(file));
  assert.ok(!error.message.includes(PASSWORD));
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('mine'));
  assert.match(box.fail({ env: { ...ENV_CREDENTIALS, OS_CLOUD_NAME: 'mine' } }).message, /"mine"/);
});

// openstacksdk: insecure goes through get_boolean (a bool as is; a string is true only when it is
// "true" in any case), so OS_INSECURE=1 or yes leaves verification on.
test('sdk: OS_INSECURE=1/yes/on keeps verification on; only "true" (any case) turns it off', (t) => {
  const box = sandbox(t);
  for (const value of ['true', 'True', 'TRUE'])
    assert.equal(box.load({ env: { ...ENV_CREDENTIALS, OS_INSECURE: value } }).verify, false, value);
  for (const value of ['1', 'yes', 'on', 'y', '0', 'false', 'no', ''])
    assert.equal(box.load({ env: { ...ENV_CREDENTIALS, OS_INSECURE: value } }).verify, true, value);
  // In a file the YAML booleans are booleans (insecure: yes is True for PyYAML); a quoted "1" is a string.
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  a:\n    insecure: yes\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n  b:\n    insecure: "1"\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n`,
  );
  assert.equal(box.load({ cloud: 'a' }).verify, false);
  assert.equal(box.load({ cloud: 'b' }).verify, true);
  assert.equal(box.load({ env: { ...ENV_CREDENTIALS, OS_VERIFY: 'False' } }).verify, false);
});

test('legacy environment names: OS_TENANT_NAME, OS_AUTH_TOKEN, OS_ENDPOINT_TYPE, OS_AUTH_PLUGIN', (t) => {
  const box = sandbox(t);
  const cloud = box.load({
    env: {
      OS_AUTH_URL: AUTH_URL,
      OS_TENANT_NAME: 'legacy',
      OS_PROJECT_DOMAIN_ID: 'default',
      OS_AUTH_TOKEN: 'tok-123',
      OS_AUTH_PLUGIN: 'v3token',
      OS_ENDPOINT_TYPE: 'internal',
    },
  });
  assert.equal(cloud.authType, 'v3token');
  assert.deepEqual(cloud.auth, { auth_url: AUTH_URL, project_name: 'legacy', project_domain_id: 'default', token: 'tok-123' });
  assert.equal(cloud.interface, 'internal');
  assert.deepEqual(cloud.secrets, ['tok-123']);
});

// ------------------------------------------------------------------------------------------------
// Regions

test('regions: the first of the list without a request; OS_REGION_NAME and regionName choose; dict values merge', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:
  multi:
    auth: {auth_url: ${AUTH_URL}, username: u, password: p}
    interface: public
    regions:
      - RegionOne
      - name: RegionTwo
        values:
          interface: internal
          compute_endpoint_override: https://nova.two.example.com/v2.1
          auth: {project_name: two}
`,
  );
  const first = box.load();
  assert.equal(first.regionName, 'RegionOne');
  assert.equal(first.interface, 'public');
  assert.deepEqual(first.endpointOverrides, {});
  const second = box.load({ env: { OS_REGION_NAME: 'RegionTwo' } });
  assert.equal(second.regionName, 'RegionTwo');
  assert.equal(second.interface, 'internal');
  assert.equal(second.endpointOverrides.compute, 'https://nova.two.example.com/v2.1');
  assert.equal(second.auth.project_name, 'two');
  assert.equal(second.auth.username, 'u');
  assert.equal(box.load({ env: { OS_REGION_NAME: 'RegionTwo' }, regionName: 'RegionOne' }).regionName, 'RegionOne');
});

test('an unknown region is an error listing the valid ones', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  c:\n    auth: {auth_url: ${AUTH_URL}, username: u, password: ${PASSWORD}}\n    regions: [RegionOne, RegionTwo]\n`,
  );
  const error = box.fail({ env: { OS_REGION_NAME: 'regionone' } });
  assert.match(error.message, /Region regionone is not a valid region name for cloud c\. Valid choices are RegionOne,RegionTwo/);
  assert.ok(!error.message.includes(PASSWORD));
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  c:\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n    region_name: RegionOne\n`,
  );
  assert.equal(box.load().regionName, 'RegionOne');
  assert.match(box.fail({ regionName: 'RegionNine' }).message, /Valid choices are RegionOne/);
});

test('a region entry with keys other than name/values is refused without printing it', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  c:\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n    regions:\n      - {name: R1, password: ${PASSWORD}}\n`,
  );
  const error = box.fail();
  assert.match(error.message, /invalid region entry #1/);
  assert.ok(!error.message.includes(PASSWORD));
});

test('a cloud without regions takes OS_REGION_NAME as is, or has no region', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('c'));
  assert.equal(box.load().regionName, undefined);
  assert.equal(box.load({ env: { OS_REGION_NAME: 'Anywhere' } }).regionName, 'Anywhere');
});

// ------------------------------------------------------------------------------------------------
// Keys, legacy keys and auth types

test('dashes become underscores and top-level legacy auth keys move into auth (tenant_* -> project_*, auth_token -> token)', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:
  legacy:
    auth-type: password
    auth_url: ${AUTH_URL}
    username: olduser
    password: ${PASSWORD}
    tenant-name: oldproject
    tenant_id: 0123abcd
    user-domain-name: Users
    project_domain_id: default
    compute_endpoint_type: internal
    identity-api-version: 3
`,
  );
  const cloud = box.load();
  assert.deepEqual(cloud.auth, {
    auth_url: AUTH_URL,
    username: 'olduser',
    password: PASSWORD,
    project_name: 'oldproject',
    project_id: '0123abcd',
    user_domain_name: 'Users',
    project_domain_id: 'default',
  });
  assert.deepEqual(cloud.serviceInterfaces, { compute: 'internal' });
  assert.equal(cloud.interface, 'public');
  assert.deepEqual(cloud.apiVersions, { identity: '3' });
});

test('a top-level value wins over the same key in auth; domain_name fills user and project domains of a project scope', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  c:\n    project_name: top\n    domain_name: Shared\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p, project_name: inner, project_domain_name: Projects}\n`,
  );
  const cloud = box.load();
  assert.equal(cloud.auth.project_name, 'top');
  assert.equal(cloud.auth.user_domain_name, 'Shared');
  assert.equal(cloud.auth.project_domain_name, 'Projects');
  assert.equal(cloud.auth.domain_name, undefined);
});

test('auth_plugin is an alias of auth_type; auth_type wins; an unsupported type is named in the error', (t) => {
  const box = sandbox(t);
  const entry = (extra: string) =>
    `clouds:\n  c:\n${extra}    auth: {auth_url: ${AUTH_URL}, username: u, user_domain_id: default, password: ${PASSWORD}, token: tok}\n`;
  box.write(path.join(box.cwd, 'clouds.yaml'), entry('    auth_plugin: v3token\n'));
  assert.equal(box.load().authType, 'v3token');
  box.write(path.join(box.cwd, 'clouds.yaml'), entry('    auth_plugin: v3token\n    auth_type: v3password\n'));
  assert.equal(box.load().authType, 'v3password');
  box.write(path.join(box.cwd, 'clouds.yaml'), entry('    auth_type: v3oidcpassword\n'));
  const error = box.fail();
  assert.match(error.message, /Cloud c: auth_type "v3oidcpassword" is not supported/);
  assert.ok(!error.message.includes(PASSWORD));
});

test('defaults: auth_type password, interface public, verify true, no region', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), cloudsYaml('plain'));
  const cloud = box.load();
  assert.equal(cloud.authType, 'password');
  assert.equal(cloud.interface, 'public');
  assert.equal(cloud.verify, true);
  assert.equal(cloud.cacert, undefined);
  assert.equal(cloud.regionName, undefined);
  assert.deepEqual(cloud.endpointOverrides, {});
});

const REQUIRED: Array<{ type: string; auth: Record<string, string>; drop: string; message: RegExp }> = [
  { type: 'password', auth: { auth_url: AUTH_URL, username: 'u', password: PASSWORD }, drop: 'password', message: /'password'/ },
  {
    type: 'password',
    auth: { auth_url: AUTH_URL, username: 'u', password: PASSWORD },
    drop: 'username',
    message: /'username' or 'user_id'/,
  },
  { type: 'v3password', auth: { auth_url: AUTH_URL, user_id: 'uid', password: PASSWORD }, drop: 'auth_url', message: /'auth_url'/ },
  {
    type: 'v3password',
    auth: { auth_url: AUTH_URL, user_id: 'uid', password: PASSWORD },
    drop: 'user_id',
    message: /'username' or 'user_id'/,
  },
  {
    type: 'v3applicationcredential',
    auth: { auth_url: AUTH_URL, application_credential_id: 'acid', application_credential_secret: PASSWORD },
    drop: 'application_credential_secret',
    message: /'application_credential_secret'/,
  },
  {
    type: 'v3applicationcredential',
    auth: { auth_url: AUTH_URL, application_credential_id: 'acid', application_credential_secret: PASSWORD },
    drop: 'application_credential_id',
    message: /'application_credential_id' or 'application_credential_name'/,
  },
  {
    type: 'v3applicationcredential',
    auth: {
      auth_url: AUTH_URL,
      application_credential_name: 'acname',
      username: 'u',
      user_domain_id: 'default',
      application_credential_secret: PASSWORD,
    },
    drop: 'username',
    message: /'application_credential_name' needs 'username' or 'user_id'/,
  },
  { type: 'token', auth: { auth_url: AUTH_URL, token: PASSWORD }, drop: 'token', message: /'token'/ },
  { type: 'v3token', auth: { auth_url: AUTH_URL, token: PASSWORD }, drop: 'auth_url', message: /'auth_url'/ },
];

test('each auth type loads with its required keys, and a missing one is named with the cloud', (t) => {
  const box = sandbox(t);
  for (const { type, auth, drop, message } of REQUIRED) {
    const complete = box.load({ cloud: { auth_type: type, auth } });
    assert.equal(complete.authType, type);
    assert.deepEqual(complete.auth, auth);
    const partial = { ...auth };
    delete partial[drop];
    const error = box.fail({ cloud: { auth_type: type, auth: partial } });
    assert.match(error.message, /^Cloud inline: /, `${type} without ${drop}`);
    assert.match(error.message, message, `${type} without ${drop}`);
    assert.ok(error.message.includes(type), error.message);
    assert.ok(!error.message.includes(PASSWORD));
  }
});

test("Hotstack's application credential cloud loads: secret masked, region and cacert kept", (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.systemDir, 'clouds.yaml'),
    `clouds:
  default:
    identity_api_version: 3
    region_name: RegionOne
    cacert: ${box.systemDir}/cacert.pem
    auth_type: v3applicationcredential
    auth:
      auth_url: ${AUTH_URL}
      application_credential_id: "0f3e9d"
      application_credential_secret: "${PASSWORD}"
`,
  );
  const cloud = box.load({ env: { OS_CLOUD: 'default' } });
  assert.equal(cloud.authType, 'v3applicationcredential');
  assert.equal(cloud.auth.application_credential_id, '0f3e9d');
  assert.equal(cloud.regionName, 'RegionOne');
  assert.equal(cloud.cacert, `${box.systemDir}/cacert.pem`);
  assert.equal(cloud.verify, true);
  assert.deepEqual(cloud.apiVersions, { identity: '3' });
  assert.deepEqual(cloud.secrets, [PASSWORD]);
});

test('secrets holds every credential present, once each, and nothing else', (t) => {
  const box = sandbox(t);
  const cloud = box.load({
    cloud: {
      auth_type: 'v3applicationcredential',
      password: 'stray-password',
      auth: {
        auth_url: AUTH_URL,
        application_credential_id: 'id',
        application_credential_secret: 'app-secret',
        token: 'stray-token',
        username: 'visible',
        user_domain_name: 'Default',
      },
    },
  });
  assert.deepEqual(cloud.secrets.sort(), ['app-secret', 'stray-password', 'stray-token']);
  const empty = box.load({ cloud: { auth: { auth_url: AUTH_URL, username: 'u', password: 'p', token: '' } } });
  assert.deepEqual(empty.secrets, ['p']);
  const same = box.load({ cloud: { password: 'dup', auth: { auth_url: AUTH_URL, username: 'u', password: 'dup', token: 'dup' } } });
  assert.deepEqual(same.secrets, ['dup']);
});

test('vendor profiles are refused', (t) => {
  const box = sandbox(t);
  box.write(path.join(box.cwd, 'clouds.yaml'), `clouds:\n  vexx:\n    profile: vexxhost\n    auth: {username: u, password: p}\n`);
  assert.match(box.fail().message, /vendor profiles are not supported/);
  assert.match(box.fail({ cloud: { profile: 'rackspace', auth: {} } }).message, /vendor profile \('profile'\), which is not supported/);
  // in a dict, `cloud` names the cloud to lay it over (connect(cloud=...)), as openstacksdk reads it
  assert.match(box.fail({ cloud: { cloud: 'rackspace', auth: {} } }).message, /^Cloud rackspace was not found/);
});

// ------------------------------------------------------------------------------------------------
// TLS

test('verify/insecure/cacert: insecure wins, verify false drops cacert with a warning, ~ is expanded', (t) => {
  const box = sandbox(t);
  const auth = { auth_url: AUTH_URL, username: 'u', password: 'p' };
  const withCa = box.load({ cloud: { auth, cacert: '~/ca/bundle.pem', cert: '~/tls/client.crt', key: '~/tls/client.key' } });
  assert.equal(withCa.verify, true);
  assert.equal(withCa.cacert, path.join(box.home, 'ca/bundle.pem'));
  assert.equal(withCa.cert, path.join(box.home, 'tls/client.crt'));
  assert.equal(withCa.key, path.join(box.home, 'tls/client.key'));

  const insecure = box.load({ cloud: { auth, insecure: true, verify: true, cacert: '/ca.pem' } });
  assert.equal(insecure.verify, false);
  assert.equal(insecure.cacert, undefined);

  const noVerify = box.load({ cloud: { auth, verify: false, cacert: '/ca.pem' } });
  assert.equal(noVerify.verify, false);
  assert.equal(noVerify.cacert, undefined);
  assert.ok(
    noVerify.warnings.some((w) => /cacert/.test(w)),
    noVerify.warnings.join('\n'),
  );

  assert.equal(box.load({ cloud: { auth, insecure: false } }).verify, true);
  assert.equal(box.load({ cloud: { auth, verify: 'no' } }).verify, false);
  // A boolean-like string is a boolean, not a CA bundle path.
  const zero = box.load({ cloud: { auth, verify: '0' } });
  assert.equal(zero.verify, false);
  assert.equal(zero.cacert, undefined);
  // Any other string in verify is the CA bundle, as requests reads it.
  const bundle = box.load({ cloud: { auth, verify: '~/bundle.pem' } });
  assert.equal(bundle.verify, true);
  assert.equal(bundle.cacert, path.join(box.home, 'bundle.pem'));
});

test('YAML "verify: no" and "insecure: yes" are booleans, as PyYAML reads them', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  a:\n    verify: no\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n  b:\n    insecure: yes\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n`,
  );
  assert.equal(box.load({ cloud: 'a' }).verify, false);
  assert.equal(box.load({ cloud: 'b' }).verify, false);
});

// ------------------------------------------------------------------------------------------------
// Per-service keys

test('endpoint overrides: *_endpoint_override beats *_endpoint; service aliases; interfaces and API versions', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:
  c:
    auth: {auth_url: ${AUTH_URL}, username: u, password: p}
    compute_endpoint: https://nova-plain.example.com
    compute_endpoint_override: https://nova.example.com/v2.1
    image_endpoint_override: https://glance.example.com
    orchestration_endpoint: https://heat.example.com/v1/%(project_id)s
    identity-endpoint-override: https://keystone.example.com/v3
    network_endpoint_override: https://neutron.example.com
    placement_endpoint_override: https://placement.example.com
    volumev3_endpoint_override: https://cinder.example.com/v3
    image_interface: internal
    volume_endpoint_type: admin
    compute_api_version: 2.79
    volume_api_version: 3.0
`,
  );
  const cloud = box.load();
  assert.equal(cloud.endpointOverrides.compute, 'https://nova.example.com/v2.1');
  assert.equal(cloud.endpointOverrides.image, 'https://glance.example.com');
  assert.equal(cloud.endpointOverrides.orchestration, 'https://heat.example.com/v1/%(project_id)s');
  assert.equal(cloud.endpointOverrides.identity, 'https://keystone.example.com/v3');
  assert.equal(cloud.endpointOverrides.network, 'https://neutron.example.com');
  assert.equal(cloud.endpointOverrides.placement, 'https://placement.example.com');
  for (const name of ['block-storage', 'block_storage', 'volumev3', 'volume'])
    assert.equal(cloud.endpointOverrides[name], 'https://cinder.example.com/v3', name);
  assert.equal(cloud.serviceInterfaces.image, 'internal');
  assert.equal(cloud.serviceInterfaces['block-storage'], 'admin');
  assert.equal(cloud.serviceInterfaces.compute, undefined);
  assert.equal(cloud.apiVersions.compute, '2.79');
  assert.equal(cloud.apiVersions.volume, '3.0');
});

test('{key} references in string values are expanded, except in credentials', (t) => {
  const box = sandbox(t);
  const cloud = box.load({
    cloud: {
      region_name: 'east',
      image_endpoint_override: 'https://glance.{region_name}.example.com',
      auth: { auth_url: 'https://keystone.{region_name}.example.com/v3', username: 'u', password: 'p{region_name}' },
    },
  });
  assert.equal(cloud.endpointOverrides.image, 'https://glance.east.example.com');
  assert.equal(cloud.auth.auth_url, 'https://keystone.east.example.com/v3');
  assert.equal(cloud.auth.password, 'p{region_name}');
  const odd = box.load({
    cloud: { compute_endpoint_override: 'https://nova/{nothing}', auth: { auth_url: AUTH_URL, username: 'u', password: 'p' } },
  });
  assert.equal(odd.endpointOverrides.compute, 'https://nova/{nothing}');
  assert.ok(odd.warnings.some((w) => w.includes('compute_endpoint_override')));
});

// ------------------------------------------------------------------------------------------------
// Inline clouds

// openstack.cloud hands a `cloud` dict to openstacksdk's connect(**dict): get_one's arguments, laid
// over the default cloud (OS_CLOUD, the OS_* cloud, the only cloud of the file) as the module's
// auth options are; a cloud of its own only when there is none to lay it over.
test('a cloud dict is laid over the default cloud: OS_CLOUD, the file, secure.yaml and OS_REGION_NAME count', (t) => {
  const box = sandbox(t);
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  filecloud:\n    cacert: /etc/ca.pem\n    regions: [R1, R9]\n    image_endpoint_override: https://glance.example.com\n` +
      `    auth: {auth_url: ${AUTH_URL}, username: fileuser, project_name: fp, user_domain_name: UD, project_domain_name: PD}\n` +
      '  other:\n    auth: {auth_url: https://other.example.com/v3}\n',
  );
  box.write(path.join(box.cwd, 'secure.yaml'), 'clouds:\n  filecloud:\n    auth: {password: from-secure}\n');
  const cloud = box.load({
    cloud: { auth_type: 'v3password', 'identity-api-version': 3, auth: { username: 'inl', password: PASSWORD, project_id: 'p1' } },
    env: { OS_CLOUD: 'filecloud', OS_REGION_NAME: 'R9' },
  });
  assert.equal(cloud.name, 'filecloud');
  assert.equal(cloud.authType, 'v3password');
  assert.deepEqual(cloud.auth, {
    auth_url: AUTH_URL,
    username: 'inl',
    password: PASSWORD,
    project_id: 'p1',
    project_name: 'fp',
    user_domain_name: 'UD',
    project_domain_name: 'PD',
  });
  assert.equal(cloud.regionName, 'R9');
  assert.equal(cloud.cacert, '/etc/ca.pem');
  assert.equal(cloud.endpointOverrides.image, 'https://glance.example.com');
  assert.deepEqual(cloud.apiVersions, { identity: '3' });
  assert.equal(cloud.sourceFiles.length, 2);
  assert.deepEqual(cloud.secrets, [PASSWORD]);
  // region_name in the dict chooses among the cloud's regions; `cloud` in it names the cloud
  assert.equal(box.load({ cloud: { region_name: 'R1' }, env: { OS_CLOUD: 'filecloud', OS_REGION_NAME: 'R9' } }).regionName, 'R1');
  assert.match(
    box.fail({ cloud: { region_name: 'R5' }, env: { OS_CLOUD: 'filecloud' } }).message,
    /Region R5 is not a valid region name for cloud filecloud/,
  );
  const other = box.load({ cloud: { cloud: 'other', 'os-username': 'o', auth: { password: 'op', user_domain_id: 'default' } } });
  assert.equal(other.name, 'other');
  assert.deepEqual(other.auth, { auth_url: 'https://other.example.com/v3', username: 'o', password: 'op', user_domain_id: 'default' });
});

test('a cloud dict over the OS_* cloud, over the only cloud; alone when there is no default cloud', (t) => {
  const box = sandbox(t);
  const env = { OS_AUTH_URL: AUTH_URL, OS_USERNAME: 'envuser', OS_PASSWORD: 'env-pw', OS_USER_DOMAIN_NAME: 'EnvDom' };
  const overEnv = box.load({ cloud: { auth: { project_id: 'p9' } }, env });
  assert.equal(overEnv.name, 'envvars');
  assert.deepEqual(overEnv.auth, {
    auth_url: AUTH_URL,
    username: 'envuser',
    password: 'env-pw',
    user_domain_name: 'EnvDom',
    project_id: 'p9',
  });
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  only:\n    verify: false\n    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n`,
  );
  const overOnly = box.load({ cloud: { interface: 'internal' } });
  assert.equal(overOnly.name, 'only');
  assert.equal(overOnly.verify, false);
  assert.equal(overOnly.interface, 'internal');
  assert.equal(overOnly.auth.username, 'u');
  // several clouds and none chosen: the dict alone, as get_one(cloud=None) builds it from the defaults
  box.write(path.join(box.cwd, 'clouds.yaml'), `clouds:\n  a:\n    verify: false\n    auth: {auth_url: ${AUTH_URL}}\n  b: {}\n`);
  const alone = box.load({ cloud: { auth: { auth_url: AUTH_URL, username: 'inl', password: 'pw' }, regions: ['A', 'B'] } });
  assert.equal(alone.name, 'inline');
  assert.equal(alone.verify, true);
  assert.deepEqual(alone.auth, { auth_url: AUTH_URL, username: 'inl', password: 'pw' });
  assert.equal(alone.regionName, undefined, "a dict's own regions list chooses nothing (get_one picks among the base cloud's)");
});

test('credentialsIn finds every credential of a raw cloud entry, in any spelling and nesting, and nothing else', () => {
  const entry = {
    auth: { auth_url: 'https://keystone:5000/v3', username: 'u', password: 'pw-1', 'application-credential-secret': 'sec-2' },
    auth_token: 'tok-3',
    cert: '/etc/pki/client.pem',
    key: '/etc/pki/client.key',
    regions: [{ name: 'r', values: { passcode: 'pc-4' } }],
  };
  assert.deepEqual(credentialsIn(entry).sort(), ['pc-4', 'pw-1', 'sec-2', 'tok-3']);
  assert.deepEqual(credentialsIn('devcloud'), []);
});

// keystoneauth's generic plugins (auth_type password/token): user_domain_id = user_domain_id or
// default_domain_id (name likewise), project_domain_* the same; the v3 body takes an id before a name.
test('sdk: default_domain_id|name give the user and project domains at login (generic password/token only)', (t) => {
  const box = sandbox(t);
  const body = (entry: string) => {
    box.write(path.join(box.cwd, 'clouds.yaml'), `clouds:\n  c:\n${entry}`);
    return authRequestBody(box.load()) as {
      auth: { identity: { password?: { user: Record<string, unknown> } }; scope?: { project: Record<string, unknown> } };
    };
  };
  const auth = `    auth:\n      auth_url: ${AUTH_URL}\n      username: u\n      password: p\n      project_name: proj\n`;
  let request = body(`${auth}      default_domain_id: dom-id\n`);
  assert.deepEqual(request.auth.identity.password?.user.domain, { id: 'dom-id' });
  assert.deepEqual(request.auth.scope?.project, { name: 'proj', domain: { id: 'dom-id' } });
  request = body(`${auth}      default_domain_name: Dom\n`);
  assert.deepEqual(request.auth.identity.password?.user.domain, { name: 'Dom' });
  assert.deepEqual(request.auth.scope?.project, { name: 'proj', domain: { name: 'Dom' } });
  // An explicit domain wins over the default of the same kind...
  request = body(`${auth}      default_domain_id: dom-id\n      user_domain_id: user-dom\n`);
  assert.deepEqual(request.auth.identity.password?.user.domain, { id: 'user-dom' });
  assert.deepEqual(request.auth.scope?.project, { name: 'proj', domain: { id: 'dom-id' } });
  // ...but a default id beats an explicit name (keystoneauth sends the id when it has one).
  request = body(`${auth}      default_domain_id: dom-id\n      user_domain_name: UserDom\n`);
  assert.deepEqual(request.auth.identity.password?.user.domain, { id: 'dom-id' });
  // v3password has no default_domain option: the user's domain is missing, which keystoneauth's v3
  // loader refuses (and so does ours); the generic plugin without any domain loads, and its login is
  // refused before any request (keystoneauth would send no domain, and Keystone refuses that).
  assert.throws(
    () => body(`    auth_type: v3password\n${auth}      default_domain_id: dom-id\n`),
    /with 'username' needs 'user_domain_name'/,
  );
  assert.throws(() => body(auth), /names the user "u" without its domain/);
  // From the environment, as OS_DEFAULT_DOMAIN_ID.
  box.write(path.join(box.cwd, 'clouds.yaml'), 'clouds: {}\n');
  const envBody = authRequestBody(
    box.load({
      env: { OS_AUTH_URL: AUTH_URL, OS_USERNAME: 'u', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'proj', OS_DEFAULT_DOMAIN_ID: 'env-dom' },
    }),
  ) as typeof request;
  assert.deepEqual(envBody.auth.identity.password?.user.domain, { id: 'env-dom' });
});

// openstacksdk hands api_timeout to keystoneauth's Session (float seconds); _fix_backwards_api_timeout
// lets a legacy `<service>_timeout` key replace it.
test('sdk: api_timeout from clouds.yaml or OS_API_TIMEOUT is the request timeout; a <service>_timeout replaces it', (t) => {
  const box = sandbox(t);
  const auth = `    auth: {auth_url: ${AUTH_URL}, username: u, password: p}\n`;
  box.write(
    path.join(box.cwd, 'clouds.yaml'),
    `clouds:\n  a:\n    api_timeout: 7\n${auth}  b:\n    api_timeout: 7\n    compute_timeout: 2.5\n${auth}  c:\n${auth}  d:\n    api_timeout: soon\n${auth}`,
  );
  assert.equal(box.load({ cloud: 'a' }).apiTimeoutSeconds, 7);
  assert.equal(box.load({ cloud: 'b' }).apiTimeoutSeconds, 2.5);
  assert.equal(box.load({ cloud: 'c' }).apiTimeoutSeconds, undefined);
  assert.match(box.fail({ cloud: 'd' }).message, /Cloud d: api_timeout .*"soon"/);
  assert.equal(box.load({ env: { ...ENV_CREDENTIALS, OS_API_TIMEOUT: '12' } }).apiTimeoutSeconds, 12);
  // connect() makes it the HTTP client's timeout.
  const conn = connect({ cloud: { api_timeout: 3, auth: { auth_url: AUTH_URL, username: 'u', password: 'p' } }, env: {} });
  assert.equal(conn.http.timeoutMs, 3000);
});
