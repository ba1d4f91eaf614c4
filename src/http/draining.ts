// SIGTERM drain, phase 1: the node keeps its listening socket for a moment (so requests already on the
// wire and a load balancer's in-flight picks still land), answers new requests 503 + `Connection: close`,
// lets requests already running finish, and closes every connection after its response, so that when
// the socket finally closes no client has a request in a connection being torn down.
import type { FastifyInstance } from 'fastify'

const draining = new WeakSet<FastifyInstance>()

export const DRAINING_BODY = { status: 503, message: 'The server is shutting down; retry the request.', data: {} }

export function registerDraining(f: FastifyInstance): void {
  f.addHook('onRequest', async (_req, reply) => {
    if (!draining.has(f)) return
    return reply.status(503).headers({ connection: 'close', 'retry-after': '1' }).send(DRAINING_BODY)
  })
  f.addHook('onSend', async (_req, reply, payload) => {
    // In-flight requests finish normally; their connection is not kept for another request.
    if (draining.has(f)) reply.header('connection', 'close')
    return payload
  })
}

/** From now on: new requests get 503 + Connection: close; running ones finish and close their connection. */
export function startDraining(f: FastifyInstance): void {
  draining.add(f)
}
