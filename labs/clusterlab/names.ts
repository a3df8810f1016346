// labs/clusterlab/names.ts — the lab's names of one deployment, from its Heat stack name. One lab API
// plays the clusters of K restores of one set at once (in a real cloud each restore is its own
// cluster, with the same node names on its own network): here each restore's nodes, operators and
// label value must be its own, so they are derived from the stack name, which is unique per job.
import { createHash } from 'node:crypto';

/** Longest run name: `<run>-<instance>` stays a short node name, `<run>` a label value (≤ 63). */
export const MAX_RUN = 40;

/**
 * The lab name of a deployment (node-name prefix and label value) for a stack name: the name itself
 * when it already is a lowercase DNS label of at most MAX_RUN characters; otherwise a cleaned,
 * shortened form followed by 8 hex of the name's sha256, so that two stack names never share one
 * (Heat allows capitals, `_` and `.`, which a node name or label value does not take as they are).
 */
export function labRunName(stackName: string): string {
  if (stackName.length === 0) throw new Error('a stack name is required');
  if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(stackName) && stackName.length <= MAX_RUN) return stackName;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  const cleaned = stackName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, MAX_RUN - 9)
    .replace(/^-+|-+$/g, '');
  return cleaned ? `${cleaned}-${hash}` : hash;
}

/** The node of an instance (e.g. master0) in the lab deployment `run`. */
export function labNodeName(run: string, instance: string): string {
  return `${run}-${instance}`;
}
