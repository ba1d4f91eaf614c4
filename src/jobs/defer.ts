// DeferJob: a handler's way to say "not now" without failing — the job goes back to the queue until
// `runAt` and the attempt does not count (a webhook endpoint whose circuit breaker is open, say).
export class DeferJob extends Error {
  constructor(readonly runAt: number, reason = 'deferred') {
    super(reason)
    this.name = 'DeferJob'
  }
}
