// approve_csrs: approve the pending kubelet CSRs that are the requesting node's own, in rounds,
// until every node is Ready with a live heartbeat. What a failed or interrupted step approved is
// still reported.
import type { ClusterError } from '../../cluster/errors.ts';
import { type ApprovedCsr, approveKubeletCsrs, type LeftAloneCsr } from '../approve.ts';
import { changedOutcome, defineStep, MINUTE } from './step.ts';

export const approveCsrsStep = defineStep({
  name: 'approve_csrs',
  defaultTimeoutMs: 40 * MINUTE,
  doc: "C(approve_csrs): approve the pending kubelet CSRs (client and serving) that are the requesting node's own, in rounds, until every node is Ready with a live heartbeat.",
  returns: {
    rounds: { description: 'Rounds of CSR approval.', returned: 'approve_csrs steps', type: 'int', sample: 4 },
    approved: { description: 'CSRs the step approved.', returned: 'approve_csrs steps', type: 'int', sample: 2 },
    left_alone: { description: 'Pending CSRs the step left alone.', returned: 'approve_csrs steps', type: 'int', sample: 1 },
    nodes_not_ready: {
      description: 'Nodes not Ready that approving the CSRs would bring back.',
      returned: 'approve_csrs steps in check mode, when some are',
      type: 'list',
      elements: 'str',
      sample: ['master-0'],
    },
  },
  async run({ client, signal, log, options, runStarted, tally }, record) {
    try {
      const result = await approveKubeletCsrs(client, {
        signal,
        log,
        checkMode: options.checkMode,
        ...(options.expectedNodes ? { expectedNodes: options.expectedNodes } : {}),
        notBefore: runStarted - options.csrWindowMs,
        ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      });
      tally.addCsrs(result.approved, result.leftAlone);
      record.rounds = result.rounds;
      record.approved = result.approved.length;
      record.left_alone = result.leftAlone.length;
      if (options.checkMode && result.recovered.length > 0) record.nodes_not_ready = result.recovered;
      return result.approved.length > 0 ? changedOutcome(options.checkMode) : 'ok';
    } catch (error) {
      const partial = (error as ClusterError).partial as { approved?: ApprovedCsr[]; leftAlone?: LeftAloneCsr[] } | undefined;
      tally.addCsrs(partial?.approved, partial?.leftAlone);
      throw error;
    }
  },
});
