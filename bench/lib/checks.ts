// Functional sanity checks run before load: every target (and every node of it) must answer the hot paths the same way.
import { api } from './http.ts';
import { newPostPayload, visibleIds } from './data.ts';
import type { Target } from './targets.ts';

const LIST_PATH = '/api/collections/posts/records?page=1&perPage=50&sort=-created';

/** Returns human-readable problems (empty = all good). Never throws for a wrong answer. */
export async function sanityCheck(t: Target, url = t.url): Promise<string[]> {
  const problems: string[] = [];
  const fail = (what: string, detail: string) => problems.push(`${what}: ${detail.slice(0, 300)}`);
  const [u0, u1] = t.users;

  const health = await api(url, 'GET', '/api/health');
  if (health.status !== 200 || health.json?.code !== 200) fail('health', `${health.status} ${health.text}`);

  const list = await api(url, 'GET', LIST_PATH, undefined, u0.token);
  const expectedTotal = visibleIds(t.posts, u0.id).length;
  if (list.status !== 200) {
    fail('list', `status ${list.status} ${list.text}`);
  } else {
    const j = list.json;
    if (j.page !== 1 || j.perPage !== 50) fail('list', `page/perPage = ${j.page}/${j.perPage}`);
    if (j.totalItems !== expectedTotal) fail('list', `totalItems ${j.totalItems}, expected ${expectedTotal}`);
    if (j.totalPages !== Math.ceil(expectedTotal / 50)) fail('list', `totalPages ${j.totalPages}`);
    if (!Array.isArray(j.items) || j.items.length !== 50) fail('list', `items.length ${j.items?.length}`);
    const items: any[] = j.items ?? [];
    for (let i = 1; i < items.length; i++) {
      if (String(items[i - 1].created) < String(items[i].created)) { fail('list', `not sorted by -created at ${i}`); break; }
    }
    const leaked = items.find((r) => r.published !== true && r.owner !== u0.id);
    if (leaked) fail('list', `rule leak: got unpublished post ${leaked.id} of ${leaked.owner}`);
    const keys = ['id', 'collectionId', 'collectionName', 'owner', 'published', 'title', 'body', 'created', 'updated'];
    const missing = keys.filter((k) => items[0] && !(k in items[0]));
    if (missing.length) fail('list', `record missing keys ${missing.join(',')}`);
  }

  const hidden = t.posts.find((p) => !p.published && p.owner === u1.id);
  if (hidden) {
    const r = await api(url, 'GET', `/api/collections/posts/records/${hidden.id}`, undefined, u0.token);
    if (r.status !== 404) fail('view', `other user's unpublished post → ${r.status}, expected 404`);
    const own = await api(url, 'GET', `/api/collections/posts/records/${hidden.id}`, undefined, u1.token);
    if (own.status !== 200 || own.json?.body !== hidden.body) fail('view', `owner view → ${own.status} ${own.text}`);
  }
  const pub = t.posts.find((p) => p.published)!;
  const v = await api(url, 'GET', `/api/collections/posts/records/${pub.id}`, undefined, u0.token);
  if (v.status !== 200 || v.json?.title !== pub.title || v.json?.published !== true) fail('view', `published → ${v.status} ${v.text}`);

  const body = JSON.parse(newPostPayload(u0.id, 'sanity check'));
  const guest = await api(url, 'POST', '/api/collections/posts/records', body);
  if (guest.status !== 400) fail('create', `guest create → ${guest.status}, expected 400 (createRule)`);
  const c = await api(url, 'POST', '/api/collections/posts/records', body, u0.token);
  if (c.status !== 200 || c.json?.owner !== u0.id || typeof c.json?.id !== 'string') fail('create', `user create → ${c.status} ${c.text}`);
  else if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/.test(c.json.created)) fail('create', `created format ${c.json.created}`);
  // The post now exists: later checks (another node / leg on the same PostgreSQL database) must expect it.
  if (c.status === 200 && typeof c.json?.id === 'string') t.posts.push({ ...body, id: c.json.id });
  return problems;
}
