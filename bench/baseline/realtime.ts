// Minimal PocketBase-style SSE realtime for the baseline (PB_CONNECT, POST /api/realtime, posts/* broadcasts).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';

interface Client { id: string; res: ServerResponse; authId: string | null; subs: Set<string> }
type Auth = (req: FastifyRequest) => Promise<{ id: string } | null>;
interface PostRecord { owner: string; published: boolean }

function clientId(): string {
  const a = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const b = randomBytes(40);
  let s = '';
  for (let i = 0; i < 40; i++) s += a[b[i] % a.length];
  return s;
}

export function createRealtime(app: FastifyInstance, auth: Auth) {
  const clients = new Map<string, Client>();

  app.get('/api/realtime', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    const c: Client = { id: clientId(), res, authId: null, subs: new Set() };
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.write(`id:${c.id}\nevent:PB_CONNECT\ndata:${JSON.stringify({ clientId: c.id })}\n\n`);
    clients.set(c.id, c);
    req.raw.on('close', () => clients.delete(c.id));
  });

  app.post('/api/realtime', async (req, reply) => {
    const body = (req.body ?? {}) as { clientId?: unknown; subscriptions?: unknown };
    const c = typeof body.clientId === 'string' ? clients.get(body.clientId) : undefined;
    if (!c) return reply.code(404).send({ status: 404, message: 'Missing or invalid client id.', data: {} });
    const user = await auth(req);
    c.authId = user?.id ?? null;
    c.subs = new Set(Array.isArray(body.subscriptions) ? body.subscriptions.filter((s) => typeof s === 'string') : []);
    return reply.code(204).send();
  });

  return {
    /** Send a create event to each `posts/*` subscriber allowed by the list rule. */
    broadcast(record: PostRecord): void {
      const data = JSON.stringify({ action: 'create', record });
      for (const c of clients.values()) {
        if (!c.subs.has('posts/*') && !c.subs.has('posts')) continue;
        if (!record.published && c.authId !== record.owner) continue;
        c.res.write(`id:${c.id}\nevent:posts/*\ndata:${data}\n\n`);
      }
    },
    closeAll(): void {
      for (const c of clients.values()) c.res.end();
      clients.clear();
    },
  };
}
