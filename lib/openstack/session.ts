// A Keystone v3 session: one token with its catalog, renewed before it expires and once more when
// a service answers 401, and the endpoint of each service as clouds.yaml chooses it.
import { HotstackError } from '../errors.ts';
import type { CloudConfig } from './clouds.ts';
import { type HttpClient, type HttpRequest, type HttpResponse, OpenStackHttpError } from './http.ts';

/** Renew this long before Keystone's `expires_at`, so that no request goes out with a dying token. */
const RENEW_MARGIN_MS = 120_000;

interface CatalogEndpoint {
  interface: string;
  region_id?: string;
  region?: string;
  url: string;
}
interface CatalogEntry {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}
interface Token {
  value: string;
  expiresAt: number;
  catalog: CatalogEntry[];
  projectId: string | undefined;
}

/** Keystone refused the credentials, or the auth settings cannot work; the message names the cloud setting. */
export class AuthenticationError extends HotstackError {}

/** The Keystone v3 base URL: openstacksdk discovers it; Keystone v3 is all we speak. */
export function identityV3Url(authUrl: string): string {
  const url = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(url)) return url;
  if (/\/v2\.0$/.test(url)) throw new AuthenticationError(`auth_url ${authUrl} is Keystone v2.0, which is not supported: use the v3 URL`);
  return `${url}/v3`;
}

function domainOf(auth: Record<string, string>, prefix: string): Record<string, string> | undefined {
  const id = auth[`${prefix}domain_id`] ?? auth.domain_id;
  const name = auth[`${prefix}domain_name`] ?? auth.domain_name;
  if (id) return { id };
  if (name) return { name };
  return undefined;
}

/**
 * A user or project named without its domain is refused here, before any request: keystoneauth
 * (openstacksdk, openstack.cloud) sends the name with no domain and Keystone answers 400 "Expecting
 * to find domain in user/project". Filling in Keystone's `default` domain instead would log in, or
 * scope to a same-named project of another domain, where openstack.cloud would not. (The generic
 * plugins' default_domain_* are already applied by the loader; the `openstack` CLI differs: osc-lib
 * fills in `default`.)
 */
function missingDomain(cloudName: string | undefined, authType: string, what: 'user' | 'project', name: string): AuthenticationError {
  const generic = authType === 'password' || authType === 'token';
  return new AuthenticationError(
    `cloud '${cloudName ?? '?'}' (auth_type ${authType}) names the ${what} ${JSON.stringify(name)} without its domain: give ` +
      `${what}_domain_name or ${what}_domain_id in its auth${generic ? ' (or default_domain_name/default_domain_id)' : ''}, ` +
      `e.g. ${what}_domain_id: default for Keystone's default domain. openstacksdk sends the name without a domain and Keystone refuses it.`,
  );
}

type AuthSubject = Pick<CloudConfig, 'authType' | 'auth'> & { name?: string };

function userOf(cloud: AuthSubject): Record<string, unknown> {
  const auth = cloud.auth;
  if (auth.user_id) return { id: auth.user_id };
  const domain = domainOf(auth, 'user_');
  if (!domain) throw missingDomain(cloud.name, cloud.authType, 'user', auth.username ?? '');
  return { name: auth.username, domain };
}

function scopeOf(cloud: AuthSubject): Record<string, unknown> | undefined {
  const auth = cloud.auth;
  if (auth.project_id) return { project: { id: auth.project_id } };
  if (auth.project_name) {
    const domain = domainOf(auth, 'project_');
    if (!domain) throw missingDomain(cloud.name, cloud.authType, 'project', auth.project_name);
    return { project: { name: auth.project_name, domain } };
  }
  if (auth.domain_id) return { domain: { id: auth.domain_id } };
  if (auth.domain_name) return { domain: { name: auth.domain_name } };
  return undefined;
}

/** The body of POST /v3/auth/tokens for the cloud's auth type (facts §3.4). */
export function authRequestBody(cloud: AuthSubject): Record<string, unknown> {
  const auth = cloud.auth;
  switch (cloud.authType) {
    case 'v3applicationcredential': {
      const credential: Record<string, unknown> = { secret: auth.application_credential_secret };
      if (auth.application_credential_id) credential.id = auth.application_credential_id;
      else {
        credential.name = auth.application_credential_name;
        credential.user = userOf(cloud);
      }
      // No scope: an application credential carries its own.
      return { auth: { identity: { methods: ['application_credential'], application_credential: credential } } };
    }
    case 'token':
    case 'v3token': {
      const scope = scopeOf(cloud);
      return { auth: { identity: { methods: ['token'], token: { id: auth.token } }, ...(scope ? { scope } : {}) } };
    }
    default: {
      const user = userOf(cloud);
      const scope = scopeOf(cloud);
      return {
        auth: {
          identity: { methods: ['password'], password: { user: { ...user, password: auth.password } } },
          ...(scope ? { scope } : {}),
        },
      };
    }
  }
}

export interface SessionRequest extends Omit<HttpRequest, 'url' | 'service'> {
  /** Path below the service endpoint, or an absolute URL. */
  path: string;
}

export class Session {
  readonly cloud: CloudConfig;
  readonly http: HttpClient;
  #token: Token | undefined;
  #authenticating: Promise<Token> | undefined;
  /** Times this session authenticated (the first time included). */
  authentications = 0;

  constructor(cloud: CloudConfig, http: HttpClient) {
    this.cloud = cloud;
    this.http = http;
  }

  get projectId(): string | undefined {
    return this.#token?.projectId;
  }

  /** A valid token, authenticating when there is none or it is about to expire. */
  async token(): Promise<Token> {
    const token = this.#token;
    if (token && token.expiresAt - RENEW_MARGIN_MS > Date.now()) return token;
    return this.#renew(token);
  }

  /** Authenticates again unless another caller already replaced `stale`. */
  #renew(stale: Token | undefined): Promise<Token> {
    if (this.#token !== stale && this.#token) return Promise.resolve(this.#token);
    this.#authenticating ??= this.#authenticate().finally(() => {
      this.#authenticating = undefined;
    });
    return this.#authenticating;
  }

  async #authenticate(): Promise<Token> {
    const url = `${identityV3Url(this.cloud.auth.auth_url ?? '')}/auth/tokens`;
    this.authentications++;
    let response: HttpResponse;
    try {
      // POST is not idempotent in general, but asking for a token is: retry it like a GET.
      response = await this.http.request({ method: 'POST', url, service: 'identity', json: authRequestBody(this.cloud), idempotent: true });
    } catch (error) {
      if (error instanceof OpenStackHttpError && error.status === 401) {
        throw new AuthenticationError(
          `authentication to cloud '${this.cloud.name}' failed (${url}): the credentials were refused (HTTP 401)`,
        );
      }
      throw error;
    }
    const value = String(response.headers['x-subject-token'] ?? '');
    const body = response.body as { token?: { expires_at?: string; catalog?: CatalogEntry[]; project?: { id?: string } } } | undefined;
    if (!value || !body?.token) throw new AuthenticationError(`authentication to cloud '${this.cloud.name}' (${url}) gave no token`);
    const token: Token = {
      value,
      expiresAt: body.token.expires_at ? Date.parse(body.token.expires_at) : Date.now() + 3_600_000,
      catalog: body.token.catalog ?? [],
      projectId: body.token.project?.id,
    };
    this.#token = token;
    return token;
  }

  /** The endpoint URL of a service type, without a trailing slash. */
  async endpoint(serviceType: string): Promise<string> {
    return this.#endpointFrom(await this.token(), serviceType);
  }

  #endpointFrom(token: Token, serviceType: string): string {
    const override = this.cloud.endpointOverrides[serviceType];
    if (override) return override.replace(/\/+$/, '').replace(/%\((tenant_id|project_id)\)s/g, token.projectId ?? '');
    const wanted = (this.cloud.serviceInterfaces[serviceType] ?? this.cloud.interface ?? 'public').replace(/URL$/, '');
    const entries = token.catalog.filter((entry) => entry.type === serviceType);
    const region = this.cloud.regionName;
    for (const entry of entries) {
      const endpoint = entry.endpoints.find((e) => e.interface === wanted && (!region || e.region_id === region || e.region === region));
      if (endpoint) return endpoint.url.replace(/\/+$/, '');
    }
    const types = [...new Set(token.catalog.map((entry) => entry.type))].sort().join(', ');
    throw new HotstackError(
      `cloud '${this.cloud.name}' has no ${wanted} endpoint for service '${serviceType}'${region ? ` in region ${region}` : ''} (the catalog has: ${types || 'nothing'})`,
    );
  }

  /** A request to a service, authenticated; a 401 renews the token once and repeats the request. */
  async request(serviceType: string, request: SessionRequest): Promise<HttpResponse> {
    // One token for the endpoint and the request: asking twice could renew twice near expiry.
    let token = await this.token();
    const base = /^https?:\/\//.test(request.path) ? '' : this.#endpointFrom(token, serviceType);
    const url = base ? `${base}${request.path.startsWith('/') ? '' : '/'}${request.path}` : request.path;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.http.request({
          ...request,
          url,
          service: serviceType,
          headers: { ...request.headers, 'X-Auth-Token': token.value },
        });
      } catch (error) {
        if (attempt === 0 && error instanceof OpenStackHttpError && error.status === 401) {
          token = await this.#renew(token);
          continue;
        }
        throw error;
      }
    }
  }
}
