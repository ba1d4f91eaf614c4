// HookResponse: a request hook answered with `e.json(status, body)`; the HTTP layer sends it as is.
export class HookResponse {
  readonly status: number
  readonly body: unknown
  constructor(r: { status: number; body: unknown }) {
    this.status = r.status
    this.body = r.body
  }
}
