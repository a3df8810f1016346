// Glance (image) v2 calls: lookups by id and by AND-ed tags with pagination, tags, deletion.
import type { Session } from './session.ts';

export interface Image {
  id: string;
  name: string | null;
  status: string;
  tags: string[];
  created_at: string;
  updated_at?: string;
  size?: number | null;
  visibility?: string;
  [key: string]: unknown;
}

export interface ImageFilters {
  /** Images having all of these tags. */
  tags?: string[];
  name?: string;
  status?: string;
  /** Exactly these images (`id=in:…`), one request for a whole set. */
  ids?: string[];
  /** Images whose (custom) properties have these values. */
  properties?: Record<string, string>;
  /** Images owned by this project (Glance's `owner` filter): leaves out other projects' public and shared images. */
  owner?: string;
  /** Page size (Glance caps it at its api_limit_max, 1000 by default). */
  pageSize?: number;
}

/** Pure: the query string of an image listing's filters (no paging); undefined when it can match nothing (`ids: []`). */
export function imageQuery(filters: ImageFilters): string | undefined {
  const query = new URLSearchParams();
  for (const tag of filters.tags ?? []) query.append('tag', tag);
  if (filters.name !== undefined) query.set('name', filters.name);
  if (filters.status !== undefined) query.set('status', filters.status);
  if (filters.owner !== undefined) query.set('owner', filters.owner);
  for (const [key, value] of Object.entries(filters.properties ?? {})) query.set(key, value);
  if (filters.ids !== undefined) {
    if (filters.ids.length === 0) return undefined;
    query.set('id', `in:${filters.ids.join(',')}`);
  }
  return query.toString();
}

/** Pure: one page of a listing: the filters, the page size and the marker (the last image of the page before). */
export function pageQuery(query: string, limit: number, marker?: string): string {
  const page = new URLSearchParams(query);
  page.set('limit', String(limit));
  if (marker !== undefined) page.set('marker', marker);
  return page.toString();
}

/** Glance statuses from which an image never becomes active (Glance has no `error` status). */
export const DEAD_IMAGE_STATUSES = new Set(['killed', 'deleted', 'pending_delete', 'deactivated']);

export class Glance {
  readonly session: Session;
  constructor(session: Session) {
    this.session = session;
  }

  /** The catalog's image endpoint is unversioned on most clouds; some list it with /v2. */
  async #base(): Promise<string> {
    const endpoint = await this.session.endpoint('image');
    return /\/v2(\.\d+)?$/.test(endpoint) ? endpoint : `${endpoint}/v2`;
  }

  async getImage(id: string): Promise<Image | undefined> {
    const response = await this.session.request('image', {
      method: 'GET',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}`,
      okStatuses: [404],
    });
    return response.status === 404 ? undefined : (response.body as Image);
  }

  /** Every image matching the filters, all pages. */
  async listImages(filters: ImageFilters = {}): Promise<Image[]> {
    const images: Image[] = [];
    for await (const page of this.imagePages(filters)) images.push(...page);
    return images;
  }

  /**
   * The images matching the filters, page by page in Glance's order (newest first): the caller
   * may stop early. Page sizes follow `pageSizes` (the last one repeats), else `pageSize`.
   */
  async *imagePages(filters: ImageFilters = {}, pageSizes: readonly number[] = [filters.pageSize ?? 1000]): AsyncGenerator<Image[]> {
    const base = await this.#base();
    const query = imageQuery(filters);
    if (query === undefined) return;
    for (let page = 0, marker: string | undefined; ; page++) {
      const limit = pageSizes[Math.min(page, pageSizes.length - 1)]!;
      const response = await this.session.request('image', { method: 'GET', path: `${base}/images?${pageQuery(query, limit, marker)}` });
      const body = response.body as { images: Image[]; next?: string };
      yield body.images;
      // Glance's own `next` link keeps only the last of repeated parameters (two `tag=` filters
      // become one: seen on devcloud), so the next page is asked with the same query and a marker.
      if (!body.next || body.images.length === 0) return;
      marker = body.images[body.images.length - 1]!.id;
    }
  }

  /** Replaces all tags of an image in one request (JSON patch). */
  async replaceTags(id: string, tags: string[]): Promise<Image> {
    const response = await this.session.request('image', {
      method: 'PATCH',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}`,
      headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify([{ op: 'replace', path: '/tags', value: tags }]),
      // Replacing with the same list twice gives the same image: safe to repeat.
      idempotent: true,
    });
    return response.body as Image;
  }

  /** Adds or replaces custom properties of an image in one request (JSON patch). */
  async setProperties(id: string, properties: Record<string, string>): Promise<Image> {
    const response = await this.session.request('image', {
      method: 'PATCH',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}`,
      headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      // "add" on an existing property replaces its value (RFC 6902 on an object member).
      body: JSON.stringify(Object.entries(properties).map(([key, value]) => ({ op: 'add', path: `/${key}`, value }))),
      idempotent: true,
    });
    return response.body as Image;
  }

  /**
   * Sets and removes custom properties (and, optionally, replaces the tags) in one JSON-patch request.
   * Glance answers 409 when a property to remove is not there (the whole patch is then refused).
   */
  async patchImage(id: string, change: { set?: Record<string, string>; remove?: string[]; tags?: string[] }): Promise<Image | undefined> {
    const ops = [
      ...(change.tags ? [{ op: 'replace', path: '/tags', value: change.tags }] : []),
      ...Object.entries(change.set ?? {}).map(([key, value]) => ({ op: 'add', path: `/${key}`, value })),
      ...(change.remove ?? []).map((key) => ({ op: 'remove', path: `/${key}` })),
    ];
    const response = await this.session.request('image', {
      method: 'PATCH',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}`,
      headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify(ops),
      // Adding the same values again gives the same image; a removal repeated would be refused (409).
      idempotent: !change.remove?.length,
      okStatuses: [404],
    });
    return response.status === 404 ? undefined : (response.body as Image);
  }

  /** Adds one tag (idempotent: a tag already there is fine). */
  async addTag(id: string, tag: string): Promise<void> {
    await this.session.request('image', {
      method: 'PUT',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`,
    });
  }

  async removeTag(id: string, tag: string): Promise<void> {
    await this.session.request('image', {
      method: 'DELETE',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}/tags/${encodeURIComponent(tag)}`,
      okStatuses: [404],
    });
  }

  /** Deletes an image; false when it was already gone. */
  async deleteImage(id: string): Promise<boolean> {
    const response = await this.session.request('image', {
      method: 'DELETE',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}`,
      okStatuses: [404],
    });
    return response.status !== 404;
  }

  /** Creates an image record (queued, no data: for test fixtures and the benchmark). */
  async createImageRecord(fields: Record<string, unknown>): Promise<Image> {
    const created = await this.session.request('image', { method: 'POST', path: `${await this.#base()}/images`, json: fields });
    return created.body as Image;
  }

  /** Uploads the data of a queued image (it turns active). */
  async uploadData(id: string, data: Buffer): Promise<void> {
    await this.session.request('image', {
      method: 'PUT',
      path: `${await this.#base()}/images/${encodeURIComponent(id)}/file`,
      body: data,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  }

  /** Creates an image record and uploads its data (for test fixtures and the demo). */
  async uploadImage(fields: Record<string, unknown>, data: Buffer): Promise<Image> {
    const image = await this.createImageRecord(fields);
    await this.uploadData(image.id, data);
    return image;
  }
}
