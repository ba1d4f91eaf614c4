// Tiny JSON-over-fetch helper and a bounded-concurrency map used during setup/seeding.
export interface ApiResult<T = unknown> { status: number; json: T; text: string }

export async function api<T = any>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<ApiResult<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = token;
  const res = await fetch(base + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any = undefined;
  try { json = text ? JSON.parse(text) : undefined; } catch { /* non-JSON */ }
  return { status: res.status, json, text };
}

/** Like `api` but throws with a readable message unless the status is 2xx. */
export async function apiOk<T = any>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const r = await api<T>(base, method, path, body, token);
  if (r.status < 200 || r.status >= 300) {
    throw new Error(`${method} ${path} → ${r.status}: ${r.text.slice(0, 500)}`);
  }
  return r.json;
}

/** Run `fn` over `items` with at most `limit` in flight; results keep input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
