// kubeconfig loading as kubectl does it: explicit path, KUBECONFIG list, ~/.kube/config, inline; the
// chosen context; credentials collected for masking; broken kubeconfigs are errors, never a fallback.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dump } from 'js-yaml';
import { KubeconfigError } from '../../../lib/cluster/errors.ts';
import { inlineKubeconfigSecrets, loadKubeconfig } from '../../../lib/cluster/kubeconfig.ts';

function config(server: string, user: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lab', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'admin', user }],
    contexts: [
      { name: 'main', context: { cluster: 'lab', user: 'admin' } },
      { name: 'other', context: { cluster: 'lab', user: 'ghost' } },
    ],
    'current-context': 'main',
    ...extra,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : dump(content));
  return path;
};

test('an explicit path wins over KUBECONFIG and ~/.kube/config; the token is a secret', () => {
  const path = write('explicit.yaml', config('https://127.0.0.1:6443', { token: 'token-explicit-123' }));
  const loaded = loadKubeconfig({ kubeconfig: path, env: { KUBECONFIG: '/nonexistent' }, home: dir });
  assert.equal(loaded.server, 'https://127.0.0.1:6443');
  assert.equal(loaded.context, 'main');
  assert.deepEqual(loaded.secrets, ['token-explicit-123']);
  assert.equal(loaded.kc.getCurrentUser()?.token, 'token-explicit-123');
  assert.equal(loaded.kc.getCurrentCluster()?.skipTLSVerify, true);
});

test('KUBECONFIG is a list: missing files are skipped, the first file to name an entry wins', () => {
  const a = write('a.yaml', config('https://127.0.0.1:1111', { token: 'token-a-123' }));
  const b = write('b.yaml', config('https://127.0.0.1:2222', { token: 'token-b-123' }, { 'current-context': 'other' }));
  const loaded = loadKubeconfig({ env: { KUBECONFIG: `${join(dir, 'missing.yaml')}:${a}:${b}` }, home: dir });
  assert.equal(loaded.server, 'https://127.0.0.1:1111');
  assert.equal(loaded.context, 'main');
  assert.match(loaded.origin, /^KUBECONFIG=/);
});

test('~/.kube/config is the last resort; without any, the error says where it looked', () => {
  assert.throws(
    () => loadKubeconfig({ env: {}, home: dir }),
    (e: Error) => e instanceof KubeconfigError && e.message.includes(join(dir, '.kube', 'config')),
  );
  mkdirSync(join(dir, '.kube'), { recursive: true });
  write('.kube/config', config('https://127.0.0.1:3333', { token: 'token-home-123' }));
  assert.equal(loadKubeconfig({ env: {}, home: dir }).server, 'https://127.0.0.1:3333');
});

test('inline dict, context option, tokenFile relative to nothing but cwd, client key data masked', () => {
  const tokenFile = write('token', 'token-from-file-123\n');
  const inline = config(
    'https://127.0.0.1:4444',
    { tokenFile },
    { contexts: [{ name: 'x', context: { cluster: 'lab', user: 'admin' } }], 'current-context': 'nope' },
  );
  const loaded = loadKubeconfig({ kubeconfig: inline, context: 'x', env: {} });
  assert.equal(loaded.kc.getCurrentUser()?.token, 'token-from-file-123');
  assert.ok(loaded.secrets.includes('token-from-file-123'));
  assert.deepEqual(inlineKubeconfigSecrets(config('https://h', { 'client-key-data': 'a2V5LWRhdGE=', password: 'pw-secret' })), [
    'pw-secret',
    'a2V5LWRhdGE=',
  ]);
});

test('broken kubeconfigs are errors naming the file and the field, never a fallback', () => {
  const cases: [Parameters<typeof loadKubeconfig>[0], RegExp][] = [
    [{ kubeconfig: join(dir, 'nope.yaml') }, /kubeconfig: cannot read .*nope.yaml \(no such file\)/],
    [{ kubeconfig: write('bad.yaml', 'clusters: [unclosed') }, /bad.yaml is not valid YAML/],
    [{ kubeconfig: write('list.yaml', '- a\n- b\n') }, /does not hold a kubeconfig mapping/],
    [
      { kubeconfig: write('ctx.yaml', config('https://h:1', { token: 'abc' })), context: 'missing' },
      /context "missing" not found \(contexts: main, other\)/,
    ],
    [
      { kubeconfig: write('ghost.yaml', config('https://h:1', { token: 'abc' })), context: 'other' },
      /names user "ghost", which is not in users/,
    ],
    [{ kubeconfig: write('nocur.yaml', config('https://h:1', { token: 'abc' }, { 'current-context': '' })) }, /no current-context is set/],
    [{ kubeconfig: write('url.yaml', config('not a url', { token: 'abc' })) }, /server "not a url" is not a URL/],
    [
      {
        kubeconfig: write('ca.yaml', {
          ...config('https://h:1', { token: 'abc' }),
          clusters: [{ name: 'lab', cluster: { server: 'https://h:1', 'certificate-authority': 'ca.crt' } }],
        }),
      },
      /clusters\[lab\]\.certificate-authority .*\/ca.crt does not exist/,
    ],
    [
      {
        kubeconfig: write(
          'key.yaml',
          config('https://h:1', { 'client-certificate': '/nonexistent/c.crt', 'client-key': '/nonexistent/c.key' }),
        ),
      },
      /users\[admin\]\.client-certificate \/nonexistent\/c.crt does not exist/,
    ],
  ];
  for (const [source, expected] of cases) {
    assert.throws(
      () => loadKubeconfig({ env: { KUBECONFIG: join(dir, 'a.yaml') }, home: dir, ...source }),
      (e: Error) => e instanceof KubeconfigError && expected.test(e.message),
      String(expected),
    );
  }
});
