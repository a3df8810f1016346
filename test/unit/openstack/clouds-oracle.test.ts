// openstacksdk itself as an oracle, where Debian's python3-openstacksdk is installed (skipped
// cleanly elsewhere): each configuration below is loaded by our loader and by openstacksdk's
// OpenStackConfig.get_one (test/unit/openstack/oracle/sdk_get_one.py), and what a login would use is compared.
// The written expectations of clouds.test.ts and cloud-options.test.ts are the primary tests; this
// one guards against a rule misread there. Our deliberate differences are not among the cases.
// A `dict` case is a cloud dict as openstack.cloud passes it to openstacksdk (connect(**dict)).
// `login` is the token request each side would send: keystoneauth's is caught before it leaves
// (nothing is sent); Keystone refuses a user or project named without a domain (400 "Expecting to
// find domain in user/project", which test/integration/cloud-options.test.ts checks on devcloud),
// so such a request counts as refused, and ours must refuse it before sending anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadCloudConfig } from '../../../lib/openstack/clouds.ts';
import { authRequestBody } from '../../../lib/openstack/session.ts';

const PYTHON = '/usr/bin/python3';
const ORACLE = path.join(import.meta.dirname, 'oracle', 'sdk_get_one.py');
const available = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import openstack.config.loader'], { stdio: 'ignore' }).status === 0;

const URL = 'https://keystone.example.com:5000/v3';
const DOMAINS = 'user_domain_name: UD, project_domain_name: PD';
// A cloud with what a dict laid over it must keep: CA bundle, regions, an endpoint override, domain names.
const RICH =
  'clouds:\n  rich:\n    cacert: /etc/rich-ca.pem\n    regions: [R1, R2]\n    image_endpoint_override: https://glance.example.com\n' +
  `    auth: {${DOMAINS}, auth_url: ${URL}, username: richuser, password: rich-pw, project_name: rp}\n`;
const auth = (user: string, extra = '') =>
  `    auth: {auth_url: ${URL}, username: ${user}, password: pw-${user}, project_name: p${extra}}\n`;

interface Case {
  title: string;
  clouds?: string;
  secure?: string;
  env?: Record<string, string>;
  cloud?: string;
  region?: string;
  dict?: Record<string, unknown>;
}

const CASES: Case[] = [
  { title: 'a plain password cloud', clouds: `clouds:\n  a:\n    region_name: R1\n${auth('alice')}`, cloud: 'a' },
  { title: 'the only cloud, chosen without a name', clouds: `clouds:\n  a:\n${auth('alice')}` },
  { title: 'OS_CLOUD chooses', clouds: `clouds:\n  a:\n${auth('alice')}  b:\n${auth('bob')}`, env: { OS_CLOUD: 'b' } },
  { title: 'several clouds, none chosen', clouds: `clouds:\n  a:\n${auth('alice')}  b:\n${auth('bob')}` },
  { title: 'an unknown cloud', clouds: `clouds:\n  a:\n${auth('alice')}`, cloud: 'zzz' },
  {
    title: 'a duplicated password: the last',
    clouds: `clouds:\n  a:\n    auth:\n      auth_url: ${URL}\n      username: u\n      password: first\n      password: second\n`,
    cloud: 'a',
  },
  {
    title: 'a cloud defined twice: the last',
    clouds: `clouds:\n  a:\n${auth('first')}  b:\n${auth('bob')}  a:\n${auth('last')}`,
    cloud: 'a',
  },
  { title: 'broken YAML', clouds: `clouds:\n  a:\n    auth: {password: x\n  - [\n`, cloud: 'a' },
  { title: 'two YAML documents', clouds: `clouds:\n  a:\n${auth('alice')}---\nclouds: {}\n`, cloud: 'a' },
  {
    title: 'broken secure.yaml',
    clouds: `clouds:\n  a:\n    auth: {auth_url: ${URL}, username: u}\n`,
    secure: 'clouds:\n  a:\n    auth: {password: "x\n',
    cloud: 'a',
  },
  {
    title: 'secure.yaml merged',
    clouds: `clouds:\n  a:\n    auth: {auth_url: ${URL}, username: u}\n`,
    secure: 'clouds:\n  a:\n    auth: {password: from-secure}\n',
    cloud: 'a',
  },
  ...['1', 'true', 'TRUE', 'yes', 'false'].map((value) => ({
    title: `OS_INSECURE=${value}`,
    env: { OS_AUTH_URL: URL, OS_USERNAME: 'env', OS_PASSWORD: 'pw', OS_INSECURE: value },
  })),
  { title: 'insecure: yes (a YAML boolean)', clouds: `clouds:\n  a:\n    insecure: yes\n${auth('alice')}`, cloud: 'a' },
  { title: 'insecure: "1" (a string)', clouds: `clouds:\n  a:\n    insecure: "1"\n${auth('alice')}`, cloud: 'a' },
  { title: 'cacert with verification on', clouds: `clouds:\n  a:\n    cacert: /etc/ca.pem\n${auth('alice')}`, cloud: 'a' },
  {
    title: 'verify: false drops the cacert',
    clouds: `clouds:\n  a:\n    verify: false\n    cacert: /etc/ca.pem\n${auth('alice')}`,
    cloud: 'a',
  },
  { title: 'api_timeout', clouds: `clouds:\n  a:\n    api_timeout: 7\n${auth('alice')}`, cloud: 'a' },
  {
    title: 'a <service>_timeout replaces api_timeout',
    clouds: `clouds:\n  a:\n    api_timeout: 7\n    compute_timeout: 3\n${auth('alice')}`,
    cloud: 'a',
  },
  { title: 'OS_API_TIMEOUT', env: { OS_AUTH_URL: URL, OS_USERNAME: 'env', OS_PASSWORD: 'pw', OS_API_TIMEOUT: '9' } },
  { title: 'default_domain_id', clouds: `clouds:\n  a:\n${auth('alice', ', default_domain_id: dd')}`, cloud: 'a' },
  { title: 'default_domain_name', clouds: `clouds:\n  a:\n${auth('alice', ', default_domain_name: Dom')}`, cloud: 'a' },
  {
    title: 'default_domain_id under a given user_domain_name',
    clouds: `clouds:\n  a:\n${auth('alice', ', default_domain_id: dd, user_domain_name: Named')}`,
    cloud: 'a',
  },
  { title: 'a regions list, the first', clouds: `clouds:\n  a:\n    regions: [R1, R2]\n${auth('alice')}`, cloud: 'a' },
  {
    title: 'a regions list, one asked for',
    clouds: `clouds:\n  a:\n    regions: [R1, {name: R2, values: {interface: internal}}]\n${auth('alice')}`,
    cloud: 'a',
    region: 'R2',
  },
  { title: 'an unknown region', clouds: `clouds:\n  a:\n    regions: [R1, R2]\n${auth('alice')}`, cloud: 'a', region: 'R9' },
  {
    title: 'legacy tenant_name and endpoint_type',
    clouds: `clouds:\n  a:\n    endpoint_type: internal\n    tenant_name: t\n    auth: {auth_url: ${URL}, username: u, password: p}\n`,
    cloud: 'a',
  },
  {
    title: 'an application credential',
    clouds: `clouds:\n  a:\n    auth_type: v3applicationcredential\n    auth: {auth_url: ${URL}, application_credential_id: id1, application_credential_secret: s3}\n`,
    cloud: 'a',
  },
  { title: 'the environment cloud with a region', env: { OS_AUTH_URL: URL, OS_USERNAME: 'env', OS_PASSWORD: 'pw', OS_REGION_NAME: 'R5' } },
  // (b) names and their domains, as the token request carries them
  ...(['password', 'v3password'] as const).flatMap((type) => [
    {
      title: `${type}: project_name without a project domain`,
      clouds: `clouds:\n  a:\n    auth_type: ${type}\n    auth: {auth_url: ${URL}, username: u, password: p, user_domain_name: UD, project_name: proj}\n`,
      cloud: 'a',
    },
    {
      title: `${type}: username without a user domain`,
      clouds: `clouds:\n  a:\n    auth_type: ${type}\n    auth: {auth_url: ${URL}, username: u, password: p, project_id: pid}\n`,
      cloud: 'a',
    },
    {
      title: `${type}: both domains by name`,
      clouds: `clouds:\n  a:\n    auth_type: ${type}\n    auth: {${DOMAINS}, auth_url: ${URL}, username: u, password: p, project_name: proj}\n`,
      cloud: 'a',
    },
    {
      title: `${type}: domain_name serves the user and the project`,
      clouds: `clouds:\n  a:\n    auth_type: ${type}\n    domain_name: Shared\n    auth: {auth_url: ${URL}, username: u, password: p, project_name: proj}\n`,
      cloud: 'a',
    },
    {
      title: `${type}: default_domain_id`,
      clouds: `clouds:\n  a:\n    auth_type: ${type}\n    auth: {auth_url: ${URL}, username: u, password: p, project_name: proj, default_domain_id: dd}\n`,
      cloud: 'a',
    },
    {
      title: `${type}: a user id and a project id need no domain`,
      clouds: `clouds:\n  a:\n    auth_type: ${type}\n    auth: {auth_url: ${URL}, user_id: uid, password: p, project_id: pid}\n`,
      cloud: 'a',
    },
  ]),
  {
    title: 'OS_PROJECT_DOMAIN_ID and OS_USER_DOMAIN_NAME',
    env: {
      OS_AUTH_URL: URL,
      OS_USERNAME: 'env',
      OS_PASSWORD: 'pw',
      OS_PROJECT_NAME: 'proj',
      OS_PROJECT_DOMAIN_ID: 'default',
      OS_USER_DOMAIN_NAME: 'Default',
    },
  },
  {
    title: 'OS_* names without domains',
    env: { OS_AUTH_URL: URL, OS_USERNAME: 'env', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'proj' },
  },
  {
    title: 'v3token with project_name and no domain',
    clouds: `clouds:\n  a:\n    auth_type: v3token\n    auth: {auth_url: ${URL}, token: tok, project_name: proj}\n`,
    cloud: 'a',
  },
  {
    title: 'v3token with project_name and its domain',
    clouds: `clouds:\n  a:\n    auth_type: v3token\n    auth: {auth_url: ${URL}, token: tok, project_name: proj, project_domain_id: default}\n`,
    cloud: 'a',
  },
  {
    title: 'an application credential by name, its user without a domain',
    clouds: `clouds:\n  a:\n    auth_type: v3applicationcredential\n    auth: {auth_url: ${URL}, application_credential_name: n, application_credential_secret: s, username: u}\n`,
    cloud: 'a',
  },
  {
    title: 'an application credential by name, its user with a domain',
    clouds: `clouds:\n  a:\n    auth_type: v3applicationcredential\n    auth: {auth_url: ${URL}, application_credential_name: n, application_credential_secret: s, username: u, user_domain_id: default}\n`,
    cloud: 'a',
  },
  // (a) a cloud dict, laid over the default cloud (connect(**dict))
  {
    title: 'dict: over OS_CLOUD, keeping the cacert, regions, endpoint override and domains',
    clouds: RICH,
    env: { OS_CLOUD: 'rich' },
    dict: { auth: { username: 'dictuser', password: 'dict-pw' } },
  },
  {
    title: 'dict: over the only cloud, region_name chooses among its regions',
    clouds: RICH,
    dict: { region_name: 'R2', auth: { password: 'dict-pw' } },
  },
  { title: 'dict: an unknown region of the cloud below', clouds: RICH, dict: { region_name: 'R7', auth: { password: 'dict-pw' } } },
  {
    title: 'dict: over the OS_* cloud',
    env: {
      OS_AUTH_URL: URL,
      OS_USERNAME: 'env',
      OS_PASSWORD: 'pw',
      OS_USER_DOMAIN_ID: 'default',
      OS_PROJECT_ID: 'pid',
      OS_REGION_NAME: 'R5',
    },
    dict: { interface: 'internal', api_timeout: 11 },
  },
  {
    title: 'dict: `cloud` names the cloud below',
    clouds: `${RICH}  other:\n    insecure: true\n    auth: {${DOMAINS}, auth_url: ${URL}, username: o, password: op, project_id: pid}\n`,
    env: { OS_CLOUD: 'rich' },
    dict: { cloud: 'other', auth: { password: 'dict-pw' } },
  },
  {
    title: 'dict: several clouds and none chosen, the dict alone',
    clouds: `${RICH}  other:\n    auth: {auth_url: ${URL}}\n`,
    dict: { auth: { auth_url: URL, username: 'alone', password: 'apw', user_domain_id: 'default', project_id: 'pid' }, verify: false },
  },
  {
    title: 'dict: no file and no OS_* variables, the dict alone',
    dict: { auth: { auth_url: URL, username: 'alone', password: 'apw', user_domain_id: 'default', project_id: 'pid' }, region_name: 'RX' },
  },
  {
    title: 'dict: auth_type over the cloud below',
    clouds: RICH,
    dict: { auth_type: 'v3password', auth: { username: 'other' } },
  },
  { title: 'dict: verify false over a cacert', clouds: RICH, dict: { verify: false } },
  { title: 'dict: an unknown cloud named', clouds: RICH, dict: { cloud: 'nope' } },
  { title: 'dict: dashed and os_ prefixed keys', clouds: RICH, dict: { 'os-interface': 'admin', 'api-timeout': 4 } },
];

interface Outcome {
  ok: boolean;
  username?: string | null;
  password?: string | null;
  region?: string | null;
  verify?: boolean | string;
  interface?: string | null;
  api_timeout?: number | null;
  auth_type?: string | null;
  user_domain_id?: string | null;
  user_domain_name?: string | null;
  image_endpoint?: string | null;
  login?: unknown;
}

interface TokenRequest {
  auth?: {
    identity?: { password?: { user?: { name?: string; domain?: unknown } } };
    scope?: { project?: { name?: string; domain?: unknown } };
  };
}

/** Keystone refuses a user or a project given by name without its domain (400). */
function keystoneRefuses(request: unknown): boolean {
  const auth = (request as TokenRequest | null)?.auth;
  const user = auth?.identity?.password?.user;
  const project = auth?.scope?.project;
  return Boolean((user?.name && !user.domain) || (project?.name && !project.domain));
}

/** JSON with the keys of every object sorted, so that key order does not count. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function loginOf(cloud: Parameters<typeof authRequestBody>[0]): unknown {
  try {
    return authRequestBody(cloud);
  } catch {
    return 'refused';
  }
}

test('our loader and openstacksdk agree on every configuration', {
  skip: available ? false : 'python3-openstacksdk is not installed',
}, (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clouds-oracle-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const prepared = CASES.map((c, index) => {
    const dir = path.join(root, String(index));
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const files = c.clouds === undefined ? [] : [path.join(dir, 'clouds.yaml')];
    const secure = c.secure === undefined ? [] : [path.join(dir, 'secure.yaml')];
    if (c.clouds !== undefined) fs.writeFileSync(files[0]!, c.clouds);
    if (c.secure !== undefined) fs.writeFileSync(secure[0]!, c.secure);
    return { case: c, dir, empty, files, secure };
  });
  const run = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify(
      prepared.map((p) => ({
        cwd: p.empty,
        files: p.files,
        secure: p.secure,
        env: p.case.env ?? {},
        cloud: p.case.cloud ?? null,
        region: p.case.region ?? null,
        dict: p.case.dict ?? null,
      })),
    ),
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' },
  });
  assert.equal(run.status, 0, run.stderr);
  const theirs = JSON.parse(run.stdout) as Outcome[];
  const differences: string[] = [];
  prepared.forEach((p, index) => {
    const env = { ...(p.case.env ?? {}) };
    if (p.files[0]) env.OS_CLIENT_CONFIG_FILE = p.files[0];
    if (p.secure[0]) env.OS_CLIENT_SECURE_FILE = p.secure[0];
    let ours: Outcome;
    try {
      const cloud = loadCloudConfig({
        env,
        cwd: p.empty,
        home: p.empty,
        siteDir: p.empty,
        systemDir: p.empty,
        ...(p.case.cloud ? { cloud: p.case.cloud } : {}),
        ...(p.case.dict ? { cloud: p.case.dict } : {}),
        ...(p.case.region ? { regionName: p.case.region } : {}),
      });
      const generic = cloud.authType === 'password';
      ours = {
        ok: true,
        username: cloud.auth.username ?? null,
        password: cloud.auth.password ?? null,
        region: cloud.regionName ?? null,
        verify: cloud.verify ? (cloud.cacert ?? true) : false,
        interface: cloud.interface,
        api_timeout: cloud.apiTimeoutSeconds ?? null,
        auth_type: cloud.authType,
        user_domain_id: generic ? (cloud.auth.user_domain_id ?? null) : null,
        user_domain_name: generic ? (cloud.auth.user_domain_name ?? null) : null,
        image_endpoint: cloud.endpointOverrides.image ?? null,
        login: loginOf(cloud),
      };
    } catch {
      ours = { ok: false };
    }
    const expected = theirs[index]!;
    const sdk: Outcome = expected.ok ? { ...expected, login: keystoneRefuses(expected.login) ? 'refused' : expected.login } : { ok: false };
    if (canonical(ours) !== canonical(sdk)) differences.push(`${p.case.title}:\n  ours ${canonical(ours)}\n  sdk  ${canonical(sdk)}`);
  });
  t.diagnostic(`${CASES.length - differences.length} of ${CASES.length} configurations agree`);
  assert.deepEqual(differences, []);
});
