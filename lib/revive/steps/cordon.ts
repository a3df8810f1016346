// cordon and uncordon: every node (of the node selector), in parallel, with the patch oc adm cordon
// sends; a node already so is left alone. The patches are not bound to the step's signal (a few
// fast calls that must not stop half-way); an interrupted cordon is undone before the run stops.
import { WaitAborted } from '../../cluster/errors.ts';
import { type CordonOutcome, listNodes, setSchedulable } from '../../cluster/nodes.ts';
import { changedOutcome, defineStep, MINUTE, type ReturnDoc, type StepContext, type StepRecord } from './step.ts';

/** Shared with shutdown. */
export const NODES: ReturnDoc = {
  description:
    'C(cordon) and C(uncordon): one C({node, changed}) per node (C(changed) false for a node already so). C(shutdown): the names of the nodes shut down.',
  returned: 'cordon, uncordon and shutdown steps',
  type: 'list',
  sample: [{ node: 'master-0', changed: true }],
};

/** Records each node's outcome, counts the nodes moved as touched, and returns them. */
function recordOutcomes(outcomes: CordonOutcome[], record: StepRecord, ctx: StepContext): string[] {
  const moved = outcomes.filter((o) => o.changed).map((o) => o.node);
  ctx.tally.touch(moved);
  record.nodes = outcomes.map((o) => ({ node: o.node, changed: o.changed }));
  return moved;
}

export const uncordonStep = defineStep({
  name: 'uncordon',
  defaultTimeoutMs: 2 * MINUTE,
  doc: 'C(uncordon), C(cordon): every node, in parallel, with the patch C(oc adm cordon) sends; a node already so is left alone.',
  returns: { nodes: NODES },
  async run(ctx, record) {
    const { client, signal, log, options } = ctx;
    const nodes = await listNodes(client, signal, options.nodeSelector);
    const outcomes = await setSchedulable(client, nodes, false, { checkMode: options.checkMode, log });
    return recordOutcomes(outcomes, record, ctx).length > 0 ? changedOutcome(options.checkMode) : 'ok';
  },
});

export const cordonStep = defineStep({
  name: 'cordon',
  defaultTimeoutMs: 2 * MINUTE,
  // documented with uncordon
  returns: {
    nodes: NODES,
    rolled_back: {
      description: 'Nodes uncordoned again after a cordon was interrupted.',
      returned: 'interrupted cordon steps',
      type: 'list',
      elements: 'str',
      sample: ['master-0'],
    },
  },
  async run(ctx, record) {
    const { client, signal, log, options } = ctx;
    const nodes = await listNodes(client, signal, options.nodeSelector);
    const outcomes = await setSchedulable(client, nodes, true, { checkMode: options.checkMode, log });
    const moved = recordOutcomes(outcomes, record, ctx);
    if (signal.aborted && !options.checkMode && moved.length > 0) {
      // Interrupted while cordoning: put the nodes back as they were before the step.
      log(`interrupted: uncordoning ${moved.join(', ')} again`);
      // As the patches left them (cordoned), not as listed before the step: else nothing is undone.
      const cordoned = outcomes.flatMap((o) => (o.changed && o.after ? [o.after] : []));
      await setSchedulable(client, cordoned, false, { checkMode: false, log });
      record.rolled_back = moved;
      throw new WaitAborted(String((signal.reason as Error)?.message ?? 'interrupted'));
    }
    return moved.length > 0 ? changedOutcome(options.checkMode) : 'ok';
  },
});
