// What the cluster modules send, checked against what oc sends (facts §2.2, §2.3): the cordon
// patches, the debug namespace and the shutdown pod; and the log summary of unstable operators.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cordonPatch } from '../../../lib/cluster/nodes.ts';
import { debugNamespace, debugPod, debugPodName, SHUTDOWN_COMMAND } from '../../../lib/revive/shutdown.ts';
import { summarise } from '../../../lib/revive/stable-wait.ts';

test('cordon and uncordon patches are the strategic merge patches oc computes', () => {
  assert.deepEqual(cordonPatch(true), { spec: { unschedulable: true } });
  assert.deepEqual(cordonPatch(false), { spec: { unschedulable: null } });
});

test('debug pod as oc debug node/X -- chroot /host shutdown -h +1 makes it', () => {
  const pod = debugPod('Master-0.example.com', 'openshift-debug-abcde', 'registry.redhat.io/rhel9/support-tools', SHUTDOWN_COMMAND) as {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    spec: Record<string, unknown> & { containers: Record<string, unknown>[]; volumes: unknown[] };
  };
  assert.match(pod.metadata.name, /^master-0-example-com-debug-[a-z0-9]{5}$/);
  assert.equal(pod.metadata.namespace, 'openshift-debug-abcde');
  assert.deepEqual(pod.metadata.labels, { 'debug.openshift.io/managed-by': 'oc-debug' });
  assert.equal(pod.spec.nodeName, 'Master-0.example.com');
  assert.equal(pod.spec.hostNetwork, true);
  assert.equal(pod.spec.hostPID, true);
  assert.equal(pod.spec.hostIPC, true);
  assert.equal(pod.spec.restartPolicy, 'Never');
  assert.equal(pod.spec.priorityClassName, 'openshift-user-critical');
  assert.deepEqual(pod.spec.volumes, [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }]);
  const [container] = pod.spec.containers;
  assert.equal(container?.name, 'container-00');
  assert.deepEqual(container?.command, ['chroot', '/host', 'shutdown', '-h', '+1']);
  assert.deepEqual(container?.securityContext, { privileged: true, runAsUser: 0 });
  assert.deepEqual(container?.env, [
    { name: 'TMOUT', value: '900' },
    { name: 'HOST', value: '/host' },
  ]);
  assert.deepEqual(container?.volumeMounts, [{ name: 'host', mountPath: '/host' }]);
  assert.equal(
    (debugPod('n', 'ns', 'img', SHUTDOWN_COMMAND, false) as { spec: Record<string, unknown> }).spec.priorityClassName,
    undefined,
  );
  assert.notEqual(debugPodName('n'), debugPodName('n'));
});

test('the temporary debug namespace carries the privileged pod-security labels', () => {
  assert.deepEqual(debugNamespace('openshift-debug-x'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'openshift-debug-x',
      labels: {
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/audit': 'privileged',
        'pod-security.kubernetes.io/warn': 'privileged',
        'security.openshift.io/scc.podSecurityLabelSync': 'false',
      },
      annotations: { 'openshift.io/node-selector': '' },
    },
  });
});

test('the unstable summary names a few operators and counts the rest', () => {
  const unstable = ['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => ({ name, reason: 'progressing', forMs: 1000 * (10 - i) }));
  assert.equal(
    summarise(unstable),
    '6 unstable: a (progressing, 10s), b (progressing, 9s), c (progressing, 8s), d (progressing, 7s) and 2 more',
  );
});
