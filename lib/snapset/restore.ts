// Restoring a SnapSet into a target scenario, decided before anything is created: which servers of
// the target's Heat template take which image of the set (through which parameter), and whether the
// ports they boot with have the MACs the set's guests were configured for. Pure: the template is
// given parsed, with the stack parameters it will be created with.
import { HotstackError } from '../errors.ts';
import type { RestoreTarget } from './foreign.ts';
import type { SnapsetSummary, Topology } from './sets.ts';

export type Template = Record<string, unknown>;

export interface TargetServer {
  /** Heat resource name of the server. */
  resource: string;
  /** Where its image comes from: the parameter path of `get_param` (e.g. ["controller_params", "image"]). */
  imageParameter: string[] | undefined;
  /** Literal image when not a parameter. */
  imageLiteral: string | undefined;
  /** The MAC of its first NIC (the machine port), when fixed; `port` names the port resource. */
  firstNic: { port?: string; mac?: string } | undefined;
}

export interface TargetInstance {
  /** Instance name as in the set (snapset_data key). */
  name: string;
  role: string;
  /** Server resource in the template. */
  server: string;
}

export interface RestoreInstance {
  name: string;
  role: string;
  image_id: string;
  /** The stack parameter that carries the image, dotted (e.g. controller_params.image). */
  parameter: string;
  mac_address: string;
}

export interface RestorePlan {
  /** Merge this over stack_parameters (recursively) to boot the set. */
  stack_parameters: Record<string, unknown>;
  instances: RestoreInstance[];
}

export class RestoreError extends HotstackError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`cannot restore: ${problems.join('; ')}`, { details: { problems } });
    this.problems = problems;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

function resources(template: Template): Record<string, Record<string, unknown>> {
  return isRecord(template.resources) ? (template.resources as Record<string, Record<string, unknown>>) : {};
}

/** Pure: resolves `{get_param: name}` / `{get_param: [name, key, …]}` against the parameters, then the template's defaults. */
function resolveParam(template: Template, parameters: Record<string, unknown>, reference: unknown): unknown {
  const path = (Array.isArray(reference) ? reference : [reference]).map(String);
  const [name, ...keys] = path;
  if (!name) return undefined;
  const declared = isRecord(template.parameters) ? (template.parameters as Record<string, unknown>)[name] : undefined;
  let value: unknown = name in parameters ? parameters[name] : isRecord(declared) ? declared.default : undefined;
  if (typeof value === 'string' && keys.length) {
    try {
      value = JSON.parse(value); // json parameters may be given as JSON text
    } catch {
      return undefined;
    }
  }
  for (const key of keys) value = isRecord(value) ? value[key] : Array.isArray(value) ? value[Number(key)] : undefined;
  return value;
}

function getParamPath(value: unknown): string[] | undefined {
  if (!isRecord(value) || !('get_param' in value)) return undefined;
  const reference = value.get_param;
  return (Array.isArray(reference) ? reference : [reference]).map(String);
}

/** Pure: the servers of a Heat template, with the parameter of their image and the MAC of their first NIC. */
export function templateServers(template: Template, parameters: Record<string, unknown>): Map<string, TargetServer> {
  const all = resources(template);
  const servers = new Map<string, TargetServer>();
  for (const [name, resource] of Object.entries(all)) {
    if (resource?.type !== 'OS::Nova::Server') continue;
    const properties = isRecord(resource.properties) ? resource.properties : {};
    const imageParameter = getParamPath(properties.image);
    const imageLiteral = typeof properties.image === 'string' ? properties.image : undefined;
    let firstNic: TargetServer['firstNic'];
    const networks = Array.isArray(properties.networks) ? properties.networks : [];
    const nic = networks[0];
    if (isRecord(nic)) {
      const portRef = isRecord(nic.port) ? nic.port.get_resource : undefined;
      if (typeof portRef === 'string') {
        const port = all[portRef];
        const portProperties = isRecord(port?.properties) ? port.properties : {};
        const rawMac = portProperties.mac_address;
        const paramPath = getParamPath(rawMac);
        const mac = paramPath ? resolveParam(template, parameters, paramPath) : rawMac;
        firstNic = { port: portRef, ...(typeof mac === 'string' && mac ? { mac } : {}) };
      } else {
        firstNic = {};
      }
    }
    servers.set(name, { resource: name, imageParameter, imageLiteral, firstNic });
  }
  return servers;
}

/**
 * Pure: the instances the target restores, by name, role and server resource — from its
 * `snapset_data` output (instances.<name>.uuid: {get_resource: server}) when it has one, else the
 * topology given (instance name = server resource name).
 */
function targetInstances(template: Template, topology?: Topology): TargetInstance[] {
  if (topology && Object.keys(topology).length) {
    return Object.entries(topology).map(([name, role]) => ({ name, role, server: serverOfOutput(template, name) ?? name }));
  }
  const outputs = isRecord(template.outputs) ? template.outputs : {};
  const snapsetData = isRecord(outputs.snapset_data) ? outputs.snapset_data.value : undefined;
  const instances = isRecord(snapsetData) && isRecord(snapsetData.instances) ? snapsetData.instances : undefined;
  if (!instances) {
    throw new RestoreError([
      'the target template has no snapset_data output: say which instances to restore (instances: {<name>: <role>}, hotstack_snapset_instances in a scenario)',
    ]);
  }
  return Object.entries(instances).map(([name, value]) => {
    const record = isRecord(value) ? value : {};
    const uuid = record.uuid;
    const server = isRecord(uuid) && typeof uuid.get_resource === 'string' ? uuid.get_resource : name;
    return { name, role: typeof record.role === 'string' ? record.role : '', server };
  });
}

function serverOfOutput(template: Template, name: string): string | undefined {
  const outputs = isRecord(template.outputs) ? template.outputs : {};
  const snapsetData = isRecord(outputs.snapset_data) ? outputs.snapset_data.value : undefined;
  const instances = isRecord(snapsetData) && isRecord(snapsetData.instances) ? snapsetData.instances : undefined;
  const entry = instances && isRecord(instances[name]) ? (instances[name] as Record<string, unknown>) : undefined;
  const uuid = entry?.uuid;
  return isRecord(uuid) && typeof uuid.get_resource === 'string' ? uuid.get_resource : undefined;
}

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
 * instance has an image of the right role, a parameter to take it, and a first NIC with the MAC the
 * image was taken with. Throws RestoreError naming every instance at fault.
 */
export function planRestore(
  set: SnapsetSummary,
  template: Template,
  parameters: Record<string, unknown>,
  topology?: Topology,
): RestorePlan {
  const problems: string[] = [];
  const servers = templateServers(template, parameters);
  const targets = targetInstances(template, topology);
  const imagesByName = new Map(set.images.map((image) => [image.name, image]));
  const instances: RestoreInstance[] = [];
  const byParameter = new Map<string, RestoreInstance>();
  const fragment: Record<string, unknown> = {};
  for (const target of targets) {
    const image = imagesByName.get(target.name);
    if (!image) {
      problems.push(
        `instance ${target.name}: SnapSet ${set.snap_id} has no image for it (it has ${Object.keys(set.instances).sort().join(', ')})`,
      );
      continue;
    }
    if (target.role && image.role !== target.role)
      problems.push(`instance ${target.name}: the image has role ${image.role ?? '(none)'}, the target wants ${target.role}`);
    const server = servers.get(target.server);
    if (!server) {
      problems.push(`instance ${target.name}: the target template has no server resource ${target.server}`);
      continue;
    }
    if (!server.imageParameter) {
      problems.push(
        `instance ${target.name}: server ${server.resource} takes image ${server.imageLiteral ?? '(none)'} literally, not from a parameter; it cannot be given the set's image`,
      );
      continue;
    }
    const wanted = image.mac_address;
    const have = server.firstNic?.mac;
    if (!wanted) problems.push(`instance ${target.name}: image ${image.id} has no mac_address tag`);
    else if (!server.firstNic)
      problems.push(`instance ${target.name}: server ${server.resource} has no NIC; the image expects MAC ${wanted}`);
    else if (!have)
      problems.push(
        `instance ${target.name}: port ${server.firstNic.port ?? '(first NIC, no port resource)'} has no fixed mac_address; the image expects MAC ${wanted}`,
      );
    else if (normalMac(have) !== normalMac(wanted))
      problems.push(
        `instance ${target.name}: MAC mismatch: target port ${server.firstNic.port} has ${have}, the SnapSet image has ${wanted}`,
      );
    const parameter = server.imageParameter.join('.');
    const restored: RestoreInstance = {
      name: target.name,
      role: image.role ?? '',
      image_id: image.id,
      parameter,
      mac_address: wanted ?? '',
    };
    const other = byParameter.get(parameter);
    if (other && other.image_id !== image.id) {
      problems.push(
        `instances ${other.name} and ${target.name} both take their image from ${parameter}: give each server its own image parameter`,
      );
      continue;
    }
    byParameter.set(parameter, restored);
    seedFromDefault(fragment, template, parameters, server.imageParameter);
    setPath(fragment, server.imageParameter, image.id);
    instances.push(restored);
  }
  if (problems.length) throw new RestoreError(problems);
  return { stack_parameters: fragment, instances };
}

/** Pure: the topology (name → role) a restore target expects. */
export function targetTopology(template: Template, topology?: Topology): Topology {
  return Object.fromEntries(targetInstances(template, topology).map((instance) => [instance.name, instance.role]));
}

/**
 * Pure: what the target needs of a set, per instance — its role and the fixed MAC of its server's
 * first NIC (when the template fixes one) — for judging a set of another tool against it.
 */
export function restoreTarget(template: Template, parameters: Record<string, unknown>, topology?: Topology): RestoreTarget {
  const servers = templateServers(template, parameters);
  const instances: RestoreTarget['instances'] = {};
  for (const instance of targetInstances(template, topology))
    instances[instance.name] = { role: instance.role, mac_address: servers.get(instance.server)?.firstNic?.mac };
  return { instances };
}
