// openstack.cloud's auth options as loader settings: what its OpenStackModule passes to
// openstack.connect (module_utils/openstack.py), so a task moved from openstack.cloud.* keeps its
// credentials and means the same cloud. Pure: module arguments in, LoadCloudOptions parts out.
//
//   cloud (name)      the cloud to load; default OS_CLOUD, the OS_* cloud, the only cloud
//   cloud (dict)      connect(**dict): settings over the cloud its `cloud` key names, else over the
//                     default cloud (clouds.ts connectArguments); then none of the options below may be given
//   auth              merged key by key over the cloud's auth (no cloud chosen: the cloud is auth alone)
//   auth_type         replaces the cloud's auth_type
//   region_name       the region to use, over OS_REGION_NAME; checked against the cloud's regions
//   interface         replaces the cloud's interface (aliases endpoint_type)
//   validate_certs    the cloud's verify (alias verify); a cloud's `insecure: true` still wins
//   ca_cert           the cloud's cacert (alias cacert)
//   client_cert       the cloud's cert (alias cert)
//   client_key        the cloud's key (alias key)
//   api_timeout       the cloud's api_timeout, seconds per HTTP request
// Unset (null/undefined) options leave the cloud's values alone, as get_one skips None arguments.
// One difference: openstack.cloud's `interface` defaults to public and so always replaces the
// cloud's; ours has no default, and a cloud's `interface` is kept unless the option is given.

import { type Dict, isDict } from './dict.ts';
import { CloudConfigError } from './errors.ts';

export interface AuthOptionArgs {
  cloud?: unknown;
  auth?: unknown;
  auth_type?: unknown;
  region_name?: unknown;
  interface?: unknown;
  validate_certs?: unknown;
  ca_cert?: unknown;
  client_cert?: unknown;
  client_key?: unknown;
  api_timeout?: unknown;
}

export interface CloudSelection {
  cloud?: string | Dict;
  regionName?: string;
  overrides: Dict;
}

/** Option name -> the cloud key it sets (the order of openstack.cloud's check). */
const OVERRIDE_KEYS: ReadonlyArray<readonly [keyof AuthOptionArgs, string]> = [
  ['auth', 'auth'],
  ['validate_certs', 'verify'],
  ['ca_cert', 'cacert'],
  ['client_cert', 'cert'],
  ['client_key', 'key'],
  ['api_timeout', 'api_timeout'],
  ['auth_type', 'auth_type'],
  ['interface', 'interface'],
];

const given = (value: unknown) => value !== undefined && value !== null;

/** The loader's `cloud`, `regionName` and `overrides` for a module's auth options. */
export function cloudSelection(args: AuthOptionArgs): CloudSelection {
  const overrides: Dict = {};
  if (isDict(args.cloud)) {
    const extra = [...OVERRIDE_KEYS.map(([option]) => option), 'region_name' as const].find((option) => given(args[option]));
    if (extra) {
      throw new CloudConfigError(
        `A cloud config dict was provided to the cloud parameter but also a value was provided for ${extra}. ` +
          `If a cloud config dict is provided, ${extra} should be excluded.`,
      );
    }
    return { cloud: args.cloud, overrides };
  }
  if (given(args.cloud) && typeof args.cloud !== 'string')
    throw new CloudConfigError('cloud must be the name of a cloud or a dict holding one cloud entry');
  if (given(args.auth) && !isDict(args.auth)) throw new CloudConfigError('auth must be a dict');
  for (const [option, key] of OVERRIDE_KEYS) if (given(args[option])) overrides[key] = args[option];
  const selection: CloudSelection = { overrides };
  if (typeof args.cloud === 'string' && args.cloud !== '') selection.cloud = args.cloud;
  if (typeof args.region_name === 'string' && args.region_name !== '') selection.regionName = args.region_name;
  return selection;
}
