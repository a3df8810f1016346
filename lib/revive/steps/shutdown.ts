// shutdown: every node powers itself off (a privileged debug pod per node, as oc debug node), and
// the step ends when every node is NotReady — and, when the module gives `afterShutdown`
// (hotstack_prepare with snapset_data), when the machines behind them are off too.
import { listNodes } from '../../cluster/nodes.ts';
import { shutdownNodes } from '../shutdown.ts';
import { NODES } from './cordon.ts';
import { defineStep, MINUTE } from './step.ts';

export const shutdownStep = defineStep({
  name: 'shutdown',
  defaultTimeoutMs: 10 * MINUTE,
  doc: 'C(shutdown): every node powers itself off (C(chroot /host shutdown -h +1) in a privileged debug pod per node, as C(oc debug node)); ends when every node is NotReady (hotstack_prepare with I(snapset_data): and every machine SHUTOFF in OpenStack).',
  returns: {
    nodes: NODES,
    servers: {
      description: 'hotstack_prepare with I(snapset_data), C(shutdown) step: instance name → its OpenStack status (C(SHUTOFF)).',
      returned: 'shutdown steps of hotstack_prepare given snapset_data',
      type: 'dict',
      sample: { master0: 'SHUTOFF' },
    },
    server_polls: {
      description: 'Server listings made while waiting for the machines to be SHUTOFF.',
      returned: 'shutdown steps of hotstack_prepare given snapset_data',
      type: 'int',
      sample: 4,
    },
  },
  async run({ client, signal, log, options, tally }, record) {
    const nodes = await listNodes(client, signal, options.nodeSelector);
    if (options.checkMode) {
      record.nodes = nodes.map((n) => n.metadata.name);
      return 'would change';
    }
    try {
      const outcomes = await shutdownNodes(client, nodes, {
        signal,
        log,
        ...(options.debugImage ? { image: options.debugImage } : {}),
        ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      });
      record.nodes = outcomes.map((o) => o.node);
    } finally {
      // Scheduled or not, a shutdown attempt touched every node.
      tally.touch(nodes.map((n) => n.metadata.name));
    }
    if (options.afterShutdown) Object.assign(record, await options.afterShutdown(signal, log));
    return 'changed';
  },
});
