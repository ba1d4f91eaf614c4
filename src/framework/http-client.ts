// A small typed HTTP client for hook and route code: JSON in/out, a timeout on every call, errors with status.
export interface HttpClientOptions {
  /** Prefixed to relative paths. */
  baseUrl?: string
  headers?: Record<string, string>
  /** Per-request timeout in ms (default 10 s); the request is aborted past it. */
  timeoutMs?: number
}

export interface HttpRequest {
  method?: string
  headers?: Record<string, string>
  query?: Record<string, string | number | boolean>
  /** Sent as JSON unless it is a string, Buffer or URLSearchParams. */
  body?: unknown
  timeoutMs?: number
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown, url: string) {
    super(`HTTP ${status} from ${url}`)
    this.name = 'HttpError'
  }
}

export function httpClient(opts: HttpClientOptions = {}) {
  async function request<T = unknown>(url: string, req: HttpRequest = {}): Promise<T> {
    const target = new URL(url, opts.baseUrl)
    for (const [k, v] of Object.entries(req.query ?? {})) target.searchParams.set(k, String(v))
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers, ...req.headers }
    let body: BodyInit | undefined
    if (req.body !== undefined) {
      if (typeof req.body === 'string' || req.body instanceof URLSearchParams || Buffer.isBuffer(req.body)) body = req.body as BodyInit
      else { body = JSON.stringify(req.body); headers['content-type'] ??= 'application/json' }
    }
    const res = await fetch(target, { method: req.method ?? (body ? 'POST' : 'GET'), headers, body, signal: AbortSignal.timeout(req.timeoutMs ?? opts.timeoutMs ?? 10_000) })
    const text = await res.text()
    let parsed: unknown = text
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text)
    if (!res.ok) throw new HttpError(res.status, parsed, target.href)
    return parsed as T
  }
  return {
    request,
    get: <T = unknown>(url: string, req: Omit<HttpRequest, 'method' | 'body'> = {}) => request<T>(url, { ...req, method: 'GET' }),
    post: <T = unknown>(url: string, body?: unknown, req: HttpRequest = {}) => request<T>(url, { ...req, method: 'POST', body }),
    put: <T = unknown>(url: string, body?: unknown, req: HttpRequest = {}) => request<T>(url, { ...req, method: 'PUT', body }),
    patch: <T = unknown>(url: string, body?: unknown, req: HttpRequest = {}) => request<T>(url, { ...req, method: 'PATCH', body }),
    delete: <T = unknown>(url: string, req: HttpRequest = {}) => request<T>(url, { ...req, method: 'DELETE' }),
  }
}
