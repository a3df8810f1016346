// The restore target as its Heat template describes it, before any set is looked at: which servers
// are instances a SnapSet restores (name, role, the parameter their image comes from, the port and
// MAC their guest was configured with), and which servers are not, with why. Pure: the template is
// given parsed, with the stack parameters it will be created with.
//
// Hotstack's templates put these things in many places; each is followed here:
//  - the image: `image: {get_param: [<x>_params, image]}`, a string parameter, or a `get_attr` of an
//    OS::Heat::Value holding either; a server without `image` boots from a volume
//    (`block_device_mapping_v2` with `image`/`image_id`, as Hotstack's bmh hosts): not restorable;
//  - the MAC: on the port of the first NIC (`port: {get_resource: p}`, or the parent port of a trunk
//    through `{get_attr: [trunk, port_id]}`), literal, from a parameter or from an OS::Heat::Value;
//    or `port_extra_properties.mac_address` of a `network:` NIC. When the `snapset_data` output names
//    the port (`mac_address: {get_attr: [port, mac_address]}`), that port is the one checked;
//  - the instances: the `snapset_data` output (its value may itself be a `get_attr` of an
//    OS::Heat::Value), else the topology given (`hotstack_snapset_instances`), else — Hotstack's
//    meaning for targets without that output (sno-bmh-tests) — every server booting from an image
//    parameter `<role>_params` of a SnapSet role (controller, ocp_master, ocp_worker) whose first NIC
//    has a fixed MAC: the instance name is the server's resource name, as in Hotstack's sets;
//  - data volumes (`block_device_mapping_v2` entries with `volume_id`, OS::Cinder::VolumeAttachment):
//    not in a SnapSet (root disks only), created empty by the target; listed per instance.
import { HotstackError } from '../errors.ts';
import type { Topology } from './sets.ts';

export type Template = Record<string, unknown>;

/** Roles Hotstack's sets are made of (04 snapshots the controller and the OpenShift nodes). */
export const SNAPSET_ROLES: readonly string[] = ['controller', 'ocp_master', 'ocp_worker'];

/**
 * One instance of the target, as a set is judged against it (restore planning, and judging a set made
 * by another tool against the target). Every field is set-independent.
 */
export interface TargetInstance {
  /** Instance name: the set's `name=` tag (snapset_data key, or the server's resource name). */
  name: string;
  /** The role the set's image must have ('' when the target does not say). */
  role: string;
  /** Heat resource of the server. */
  server: string;
  /** The parameter path its image comes from (["controller_params", "image"]), or null when it cannot be given one. */
  image_parameter: string[] | null;
  /** The port whose MAC the image must carry, or null when the server has no NIC with a port. */
  mac_port: string | null;
  /** That MAC as the template fixes it (as written), or null when the port has no fixed MAC. */
  mac_address: string | null;
  /** Data volumes attached to it (not part of a set: the target creates them empty). */
  volumes: string[];
}

export interface TargetShape {
  /** Where the instance list came from. */
  source: 'snapset_data' | 'instances' | 'template';
  instances: Record<string, TargetInstance>;
  /** Servers of the target that are not instances of a set → why (they boot as the template says). */
  other_servers: Record<string, string>;
  /** Why the target cannot take a set at all (an instance without an image parameter or a fixed MAC, a shared image parameter…). */
  problems: string[];
}

/** The target cannot be planned for (no instance found, a bad template). */
export class TargetError extends HotstackError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`cannot restore: ${problems.join('; ')}`, { details: { problems } });
    this.problems = problems;
  }
}

type Rec = Record<string, unknown>;
const isRecord = (value: unknown): value is Rec => !!value && typeof value === 'object' && !Array.isArray(value);

function resourcesOf(template: Template): Record<string, Rec> {
  return isRecord(template.resources) ? (template.resources as Record<string, Rec>) : {};
}
const propertiesOf = (resource: Rec | undefined): Rec => (isRecord(resource?.properties) ? resource.properties : {});

/** A reference as a path of strings ({get_param: a} and {get_param: [a, b]} alike). */
const pathOf = (reference: unknown): string[] => (Array.isArray(reference) ? reference : [reference]).map(String);

function index(value: unknown, keys: string[]): unknown {
  let node = value;
  for (const key of keys) node = isRecord(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  return node;
}

/** Pure: `{get_param: …}` against the parameters, then the template's defaults (json given as text is parsed). */
export function resolveParam(template: Template, parameters: Rec, reference: unknown): unknown {
  const [name, ...keys] = pathOf(reference);
  if (!name) return undefined;
  const declared = isRecord(template.parameters) ? (template.parameters as Rec)[name] : undefined;
  let value: unknown = name in parameters ? parameters[name] : isRecord(declared) ? declared.default : undefined;
  if (typeof value === 'string' && keys.length) {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return index(value, keys);
}

class Resolver {
  readonly resources: Record<string, Rec>;
  readonly template: Template;
  readonly parameters: Rec;
  constructor(template: Template, parameters: Rec) {
    this.template = template;
    this.parameters = parameters;
    this.resources = resourcesOf(template);
  }

  typeOf(name: string): string | undefined {
    const type = this.resources[name]?.type;
    return typeof type === 'string' ? type : undefined;
  }

  /** Follows `get_attr: [<OS::Heat::Value>, value, …]` to what the Value holds (depth-limited). */
  private heatValue(reference: unknown, depth: number): { found: boolean; value: unknown } {
    if (!isRecord(reference) || !Array.isArray(reference.get_attr)) return { found: false, value: undefined };
    const [resource, attribute, ...keys] = pathOf(reference.get_attr);
    if (!resource || this.typeOf(resource) !== 'OS::Heat::Value' || attribute !== 'value') return { found: false, value: undefined };
    const held = this.value(propertiesOf(this.resources[resource]).value, depth + 1);
    return { found: true, value: keys.length ? index(held, keys) : held };
  }

  /** Pure: a property value with get_param and OS::Heat::Value references resolved (other intrinsics kept as written). */
  value(raw: unknown, depth = 0): unknown {
    if (depth > 8) return undefined;
    if (isRecord(raw) && 'get_param' in raw && Object.keys(raw).length === 1)
      return resolveParam(this.template, this.parameters, raw.get_param);
    const held = this.heatValue(raw, depth);
    if (held.found) return held.value;
    if (isRecord(raw) && Object.keys(raw).length > 1)
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, this.value(v, depth + 1)]));
    return raw;
  }

  /** The get_param path a value comes from, through OS::Heat::Value resources; undefined when it is not a parameter. */
  paramPath(raw: unknown, depth = 0): string[] | undefined {
    if (depth > 8 || !isRecord(raw)) return undefined;
    if ('get_param' in raw) return pathOf(raw.get_param);
    if (Array.isArray(raw.get_attr)) {
      const [resource, attribute, ...keys] = pathOf(raw.get_attr);
      if (resource && this.typeOf(resource) === 'OS::Heat::Value' && attribute === 'value') {
        const inner = propertiesOf(this.resources[resource]).value;
        if (!keys.length) return this.paramPath(inner, depth + 1);
        // {get_attr: [v, value, image]} over a Value holding {get_param: controller_params}
        const base = this.paramPath(inner, depth + 1);
        if (base) return [...base, ...keys];
        return this.paramPath(index(inner, keys), depth + 1);
      }
    }
    return undefined;
  }

  /** The resource a reference names ({get_resource: r}, or {get_attr: [r, …]}). */
  resourceOf(raw: unknown): string | undefined {
    if (!isRecord(raw)) return undefined;
    if (typeof raw.get_resource === 'string') return raw.get_resource;
    if (Array.isArray(raw.get_attr) && typeof raw.get_attr[0] === 'string') return raw.get_attr[0];
    return undefined;
  }
}

interface Nic {
  /** The port resource (a trunk's parent port for `{get_attr: [trunk, port_id]}`), if any. */
  port?: string;
  mac?: string;
}

interface ServerFacts {
  resource: string;
  imageParameter: string[] | undefined;
  imageLiteral: string | undefined;
  /** The image of a boot volume (block_device_mapping_v2), when the server boots from one. */
  bootVolumeImage: string | undefined;
  nics: Nic[];
  volumes: string[];
}

function portMac(resolver: Resolver, port: string | undefined): string | undefined {
  if (!port) return undefined;
  const mac = resolver.value(propertiesOf(resolver.resources[port]).mac_address);
  return typeof mac === 'string' && mac.trim() ? mac : undefined;
}

function nicOf(resolver: Resolver, raw: unknown): Nic {
  if (!isRecord(raw)) return {};
  let port = resolver.resourceOf(raw.port);
  // a trunk's port_id attribute is its parent port
  if (port && resolver.typeOf(port) === 'OS::Neutron::Trunk') port = resolver.resourceOf(propertiesOf(resolver.resources[port]).port);
  if (port && resolver.typeOf(port) !== 'OS::Neutron::Port') port = undefined;
  const extra = isRecord(raw.port_extra_properties) ? resolver.value(raw.port_extra_properties.mac_address) : undefined;
  const mac = port ? portMac(resolver, port) : typeof extra === 'string' && extra.trim() ? extra : undefined;
  return { ...(port ? { port } : {}), ...(mac ? { mac } : {}) };
}

function serverFacts(resolver: Resolver, name: string): ServerFacts {
  const properties = propertiesOf(resolver.resources[name]);
  const imageParameter = resolver.paramPath(properties.image);
  const imageValue = imageParameter ? undefined : resolver.value(properties.image);
  const imageLiteral = typeof imageValue === 'string' ? imageValue : undefined;
  const mappings = [
    ...(Array.isArray(properties.block_device_mapping_v2) ? properties.block_device_mapping_v2 : []),
    ...(Array.isArray(properties.block_device_mapping) ? properties.block_device_mapping : []),
  ].filter(isRecord);
  const volumes: string[] = [];
  let bootVolumeImage: string | undefined;
  for (const mapping of mappings) {
    const bootIndex = Number(resolver.value(mapping.boot_index) ?? (properties.image === undefined ? 0 : -1));
    const source = mapping.image ?? mapping.image_id;
    if (source !== undefined && bootIndex >= 0) {
      const path = resolver.paramPath(source);
      const described = path ? path.join('.') : String(resolver.value(source));
      if (bootVolumeImage === undefined || bootIndex === 0) bootVolumeImage = described;
      continue;
    }
    const volume = resolver.resourceOf(mapping.volume_id) ?? (typeof mapping.volume_id === 'string' ? mapping.volume_id : undefined);
    if (volume && bootIndex < 0) volumes.push(volume);
    else if (volume && properties.image === undefined) bootVolumeImage ??= `volume ${volume}`;
  }
  for (const [resource, attachment] of Object.entries(resolver.resources)) {
    if (attachment?.type !== 'OS::Cinder::VolumeAttachment') continue;
    const attached = propertiesOf(attachment);
    if (resolver.resourceOf(attached.instance_uuid) === name) volumes.push(resolver.resourceOf(attached.volume_uuid) ?? resource);
  }
  const networks = Array.isArray(properties.networks) ? properties.networks : [];
  return {
    resource: name,
    imageParameter: properties.image === undefined ? undefined : imageParameter,
    imageLiteral,
    bootVolumeImage: properties.image === undefined ? bootVolumeImage : undefined,
    nics: networks.map((nic) => nicOf(resolver, nic)),
    volumes: [...new Set(volumes)].sort(),
  };
}

/** The `snapset_data` output's instances as written (through an OS::Heat::Value when its value is one). */
function declaredInstances(resolver: Resolver): Record<string, Rec> | undefined {
  const outputs = isRecord(resolver.template.outputs) ? resolver.template.outputs : {};
  const output = outputs.snapset_data;
  if (!isRecord(output)) return undefined;
  const value = resolver.value(output.value);
  const instances = isRecord(value) ? resolver.value(value.instances) : undefined;
  return isRecord(instances) ? (instances as Record<string, Rec>) : undefined;
}

const roleOfParameter = (path: string[] | undefined): string | undefined =>
  path && path.length === 2 && path[1] === 'image' && path[0]?.endsWith('_params') ? path[0].slice(0, -'_params'.length) : undefined;

function instanceOf(
  resolver: Resolver,
  facts: ServerFacts,
  name: string,
  role: string,
  macReference: unknown,
  problems: string[],
): TargetInstance {
  const where = `instance ${name}`;
  if (facts.imageParameter === undefined) {
    problems.push(
      facts.bootVolumeImage !== undefined
        ? `${where}: server ${facts.resource} boots from a volume (image ${facts.bootVolumeImage}); a SnapSet image is a root-disk snapshot and cannot be given to it`
        : `${where}: server ${facts.resource} takes image ${facts.imageLiteral ?? '(none)'} literally, not from a parameter; it cannot be given the set's image`,
    );
  }
  // the port snapset_data names for the MAC, else the first NIC
  const namedPort = resolver.resourceOf(macReference);
  const literalMac = typeof resolver.value(macReference) === 'string' ? (resolver.value(macReference) as string) : undefined;
  let nic: Nic | undefined;
  if (namedPort && resolver.typeOf(namedPort) === 'OS::Neutron::Port') {
    nic = facts.nics.find((candidate) => candidate.port === namedPort);
    if (!nic) problems.push(`${where}: snapset_data takes its MAC from port ${namedPort}, which is not a NIC of server ${facts.resource}`);
  } else nic = facts.nics[0];
  // no fixed MAC (mac_address null) is judged against the set's image, which says the MAC wanted
  const mac = nic?.mac ?? literalMac ?? null;
  if (nic?.mac && literalMac && nic.mac.trim().toLowerCase() !== literalMac.trim().toLowerCase())
    problems.push(`${where}: snapset_data says MAC ${literalMac}, its port ${nic.port} has ${nic.mac}`);
  return {
    name,
    role,
    server: facts.resource,
    image_parameter: facts.imageParameter ?? null,
    mac_port: nic?.port ?? null,
    mac_address: mac,
    volumes: facts.volumes,
  };
}

/**
 * Pure: the restore target of a template — its instances (from `snapset_data`, the topology given,
 * or Hotstack's convention), every other server with why it is not restored, and what makes the
 * template unable to take a set. Throws TargetError when it has no instance at all.
 */
export function targetShape(template: Template, parameters: Rec, topology?: Topology): TargetShape {
  const resolver = new Resolver(template, parameters);
  const servers = new Map(
    Object.keys(resolver.resources)
      .filter((name) => resolver.typeOf(name) === 'OS::Nova::Server')
      .map((name) => [name, serverFacts(resolver, name)]),
  );
  const problems: string[] = [];
  const instances: Record<string, TargetInstance> = {};
  const declared = declaredInstances(resolver);
  let source: TargetShape['source'];
  if ((topology && Object.keys(topology).length) || declared) {
    source = topology && Object.keys(topology).length ? 'instances' : 'snapset_data';
    const entries: [string, string, Rec][] =
      source === 'instances'
        ? Object.entries(topology as Topology).map(([name, role]) => [name, role, (declared?.[name] as Rec | undefined) ?? {}])
        : Object.entries(declared as Record<string, Rec>).map(([name, entry]) => {
            const role = resolver.value(isRecord(entry) ? entry.role : undefined);
            return [name, typeof role === 'string' ? role : '', isRecord(entry) ? entry : {}];
          });
    for (const [name, role, entry] of entries) {
      const named = resolver.resourceOf(entry.uuid);
      const server = named && servers.has(named) ? named : name;
      const facts = servers.get(server);
      if (!facts) {
        problems.push(`instance ${name}: the target template has no server resource ${server}`);
        continue;
      }
      instances[name] = instanceOf(resolver, facts, name, role, entry.mac_address, problems);
    }
  } else {
    source = 'template';
    for (const facts of servers.values()) {
      const role = roleOfParameter(facts.imageParameter);
      const nic = facts.nics[0];
      if (!role || !SNAPSET_ROLES.includes(role) || !nic?.mac) continue;
      instances[facts.resource] = instanceOf(resolver, facts, facts.resource, role, undefined, problems);
    }
    if (!Object.keys(instances).length)
      throw new TargetError([
        `the target template has no snapset_data output and no server a SnapSet restores (a server booting from an image parameter <role>_params of role ${SNAPSET_ROLES.join(', ')}, its first NIC with a fixed MAC): name the instances (instances: {<name>: <role>}, hotstack_snapset_instances in a scenario)`,
      ]);
  }
  const restored = new Map(Object.values(instances).map((instance) => [instance.server, instance]));
  const byParameter = new Map<string, string>();
  for (const instance of Object.values(instances)) {
    if (!instance.image_parameter) continue;
    const key = instance.image_parameter.join('.');
    const other = byParameter.get(key);
    if (other)
      problems.push(`instances ${other} and ${instance.name} both take their image from ${key}: give each server its own image parameter`);
    else byParameter.set(key, instance.name);
  }
  const otherServers: Record<string, string> = {};
  for (const facts of servers.values()) {
    if (restored.has(facts.resource)) continue;
    const parameter = facts.imageParameter?.join('.');
    const sharing = parameter ? byParameter.get(parameter) : undefined;
    if (sharing) {
      problems.push(
        `server ${facts.resource} is not an instance of the target but takes its image from ${parameter} too: it would boot instance ${sharing}'s snapshot`,
      );
      continue;
    }
    otherServers[facts.resource] = whyNotRestored(facts, source);
  }
  return { source, instances, other_servers: otherServers, problems };
}

function whyNotRestored(facts: ServerFacts, source: TargetShape['source']): string {
  const boots =
    facts.bootVolumeImage !== undefined
      ? `boots from a volume (image ${facts.bootVolumeImage})`
      : facts.imageParameter
        ? `boots image ${facts.imageParameter.join('.')}`
        : `boots image ${facts.imageLiteral ?? '(none)'}`;
  if (source === 'snapset_data') return `not in the target's snapset_data output; ${boots}, as the template says`;
  if (source === 'instances') return `not among the instances given; ${boots}, as the template says`;
  const role = roleOfParameter(facts.imageParameter);
  const why =
    facts.bootVolumeImage !== undefined
      ? 'not a SnapSet instance'
      : !role || !SNAPSET_ROLES.includes(role)
        ? `not a SnapSet role (${SNAPSET_ROLES.join(', ')})`
        : 'its first NIC has no fixed MAC, so it is not a SnapSet instance';
  return `${boots}: ${why}; it boots as the template says`;
}

/** Pure: the instances (name → role) a restore target expects. */
export function shapeTopology(shape: TargetShape): Topology {
  return Object.fromEntries(Object.values(shape.instances).map((instance) => [instance.name, instance.role]));
}
