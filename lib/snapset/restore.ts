// Restoring a SnapSet into a target scenario, decided before anything is created: which servers of
// the target's Heat template take which image of the set (through which parameter), and whether the
// ports they boot with have the MACs the set's guests were configured for. Pure: the template is
// given parsed, with the stack parameters it will be created with. The target itself (its instances,
// image parameters, MACs, other servers) is read by target.ts; this file compares a set with it.
import type { RestoreTarget } from './foreign.ts';
import type { SnapsetSummary, Topology } from './sets.ts';
import { shapeTopology, TargetError, type TargetShape, type Template, targetShape } from './target.ts';

export type { Template } from './target.ts';

export interface RestoreInstance {
  name: string;
  role: string;
  image_id: string;
  /** The stack parameter that carries the image, dotted (e.g. controller_params.image). */
  parameter: string;
  mac_address: string;
  /** Its data volumes in the target (not in the set: created empty). */
  volumes: string[];
}

export interface NotRestored {
  server: string;
  reason: string;
}

export interface RestorePlan {
  /** Merge this over stack_parameters (recursively) to boot the set. */
  stack_parameters: Record<string, unknown>;
  instances: RestoreInstance[];
  /** Servers of the target the set does not cover: they boot as the template says. */
  not_restored: NotRestored[];
  /** The target as planned against (see target.ts). */
  target: TargetShape;
}

/** The set does not fit the target: every problem, each naming its instance or server. */
export class RestoreError extends TargetError {}

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

const normalMac = (mac: string) => mac.trim().toLowerCase();

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isRecord(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/**
 * A json parameter the stack_parameters do not give (e.g. master1_params) takes its template default
 * as a whole: Heat would replace that default by the fragment's {image} alone and lose its flavor. So
 * the fragment starts from the default, and only the image changes.
 */
function seedFromDefault(fragment: Record<string, unknown>, template: Template, parameters: Record<string, unknown>, path: string[]) {
  const name = path[0] as string;
  if (path.length < 2 || name in parameters || name in fragment) return;
  const declared = (isRecord(template.parameters) ? template.parameters[name] : undefined) as unknown;
  if (isRecord(declared) && isRecord(declared.default)) fragment[name] = structuredClone(declared.default);
}

/**
 * Pure: the stack_parameters fragment that boots `set` in the target, after checking every target
 * instance has an image of the right role, a parameter to take it, and a port with the MAC the image
 * was taken with; an instance of the set the target lacks is a problem too. Servers of the target the
 * set does not cover are listed (not_restored). Throws RestoreError naming every instance at fault.
 */
export function planRestore(
  set: SnapsetSummary,
  template: Template,
  parameters: Record<string, unknown>,
  topology?: Topology,
): RestorePlan {
  let target: TargetShape;
  try {
    target = targetShape(template, parameters, topology);
  } catch (error) {
    if (error instanceof TargetError) throw new RestoreError(error.problems);
    throw error;
  }
  const problems: string[] = [...target.problems];
  const imagesByName = new Map(set.images.map((image) => [image.name, image]));
  const instances: RestoreInstance[] = [];
  const fragment: Record<string, unknown> = {};
  for (const wanted of Object.values(target.instances)) {
    const image = imagesByName.get(wanted.name);
    if (!image) {
      problems.push(
        `instance ${wanted.name}: SnapSet ${set.snap_id} has no image for it (it has ${Object.keys(set.instances).sort().join(', ')})${
          target.source === 'template'
            ? `; server ${wanted.server} counts as an instance because it boots from ${wanted.image_parameter?.join('.')} with a fixed MAC: name the instances to restore (hotstack_snapset_instances) to leave it out`
            : ''
        }`,
      );
      continue;
    }
    if (wanted.role && image.role !== wanted.role)
      problems.push(`instance ${wanted.name}: the image has role ${image.role ?? '(none)'}, the target wants ${wanted.role}`);
    const mac = image.mac_address;
    if (!mac) problems.push(`instance ${wanted.name}: image ${image.id} has no mac_address tag`);
    else if (!wanted.mac_address)
      problems.push(
        wanted.mac_port
          ? `instance ${wanted.name}: port ${wanted.mac_port} has no fixed mac_address; the image expects MAC ${mac}`
          : `instance ${wanted.name}: server ${wanted.server} has no NIC with a fixed MAC; the image expects MAC ${mac}`,
      );
    else if (wanted.mac_address && normalMac(wanted.mac_address) !== normalMac(mac))
      problems.push(
        `instance ${wanted.name}: MAC mismatch: target ${wanted.mac_port ? `port ${wanted.mac_port}` : `server ${wanted.server}'s NIC`} has ${wanted.mac_address}, the SnapSet image has ${mac}`,
      );
    if (!wanted.image_parameter) continue;
    seedFromDefault(fragment, template, parameters, wanted.image_parameter);
    setPath(fragment, wanted.image_parameter, image.id);
    instances.push({
      name: wanted.name,
      role: image.role ?? '',
      image_id: image.id,
      parameter: wanted.image_parameter.join('.'),
      mac_address: mac ?? '',
      volumes: wanted.volumes,
    });
  }
  for (const name of Object.keys(set.instances).sort()) {
    if (name in target.instances) continue;
    const server = target.other_servers[name];
    problems.push(
      `instance ${name} of SnapSet ${set.snap_id} has no place in the target (${server ? `server ${name} ${server}` : 'no such instance'}); the target restores ${Object.keys(target.instances).sort().join(', ')}`,
    );
  }
  if (problems.length) throw new RestoreError(problems);
  const not_restored = Object.entries(target.other_servers).map(([server, reason]) => ({ server, reason }));
  return { stack_parameters: fragment, instances, not_restored, target };
}

/** Pure: the topology (name → role) a restore target expects. */
export function targetTopology(template: Template, topology?: Topology, parameters: Record<string, unknown> = {}): Topology {
  try {
    return shapeTopology(targetShape(template, parameters, topology));
  } catch (error) {
    if (error instanceof TargetError) throw new RestoreError(error.problems);
    throw error;
  }
}

/**
 * Pure: what the target needs of a set, per instance — its role and the fixed MAC of the port its
 * image must match (when the template fixes one) — for judging a set of another tool against it.
 */
export function restoreTarget(template: Template, parameters: Record<string, unknown>, topology?: Topology): RestoreTarget {
  let shape: TargetShape;
  try {
    shape = targetShape(template, parameters, topology);
  } catch (error) {
    if (error instanceof TargetError) throw new RestoreError(error.problems);
    throw error;
  }
  const instances: RestoreTarget['instances'] = {};
  for (const instance of Object.values(shape.instances))
    instances[instance.name] = { role: instance.role, ...(instance.mac_address ? { mac_address: instance.mac_address } : {}) };
  return { instances };
}
