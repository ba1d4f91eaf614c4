// Hand-written Fastify + better-sqlite3 + jose baseline doing the same work as Basalt's hot paths (the ceiling).
import Fastify, { type FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import { verify as argonVerify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { openDb, createSchema } from './db.ts';
import { pbDate } from '../lib/data.ts';
import { createRealtime } from './realtime.ts';

const dbFile = process.env.BASELINE_DB ?? 'baseline.db';
const port = Number(process.env.BASELINE_PORT ?? 8091);
const secret = new TextEncoder().encode(process.env.BASELINE_SECRET ?? 'baseline-secret-0123456789-abcdefghij');
const COLLECTION_ID = 'pbc_posts_baseline';
const USERS_ID = '_pb_users_auth_';

const db = openDb(dbFile);
createSchema(db);

interface UserRow { id: string; email: string; password: string; emailVisibility: number; verified: number; name: string; avatar: string; created: string; updated: string }
interface PostRow { id: string; owner: string; published: number; title: string; body: string; created: string; updated: string }

const q = {
  userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
  userByEmail: db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?'),
  userExists: db.prepare<[string], { x: number }>('SELECT 1 AS x FROM users WHERE id = ?'),
  countAuth: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM posts WHERE (published = 1 OR owner = ?)'),
  countGuest: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM posts WHERE (published = 1)'),
  listAuth: db.prepare<[string, number, number], PostRow>(
    'SELECT * FROM posts WHERE (published = 1 OR owner = ?) ORDER BY created DESC LIMIT ? OFFSET ?'),
  listGuest: db.prepare<[number, number], PostRow>(
    'SELECT * FROM posts WHERE (published = 1) ORDER BY created DESC LIMIT ? OFFSET ?'),
  viewAuth: db.prepare<[string, string], PostRow>('SELECT * FROM posts WHERE id = ? AND (published = 1 OR owner = ?)'),
  viewGuest: db.prepare<[string], PostRow>('SELECT * FROM posts WHERE id = ? AND (published = 1)'),
  insert: db.prepare('INSERT INTO posts (id, owner, published, title, body, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)'),
};

function postJson(r: PostRow) {
  return {
    collectionId: COLLECTION_ID, collectionName: 'posts', id: r.id, owner: r.owner, published: r.published === 1,
    title: r.title, body: r.body, created: r.created, updated: r.updated,
  };
}

function userJson(u: UserRow) {
  return {
    collectionId: USERS_ID, collectionName: 'users', id: u.id, email: u.email, emailVisibility: u.emailVisibility === 1,
    verified: u.verified === 1, name: u.name, avatar: u.avatar, created: u.created, updated: u.updated,
  };
}

function apiError(status: number, message: string) {
  return { status, message, data: {} };
}

/** Verify the HS256 token and load the user; invalid/missing token → guest (null), like PocketBase. */
async function authUser(req: FastifyRequest): Promise<UserRow | null> {
  let token = req.headers.authorization;
  if (!token) return null;
  if (token.slice(0, 7).toLowerCase() === 'bearer ') token = token.slice(7);
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
    if (payload.type !== 'auth' || typeof payload.id !== 'string') return null;
    return q.userById.get(payload.id) ?? null;
  } catch {
    return null;
  }
}

function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(15);
  let s = '';
  for (let i = 0; i < 15; i++) s += alphabet[bytes[i] % 36];
  return s;
}

const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
const realtime = createRealtime(app, authUser);

app.get('/api/health', async () => ({ code: 200, message: 'API is healthy.', data: {} }));

app.post('/api/collections/users/auth-with-password', async (req, reply) => {
  const body = (req.body ?? {}) as { identity?: unknown; password?: unknown };
  const user = typeof body.identity === 'string' ? q.userByEmail.get(body.identity) : undefined;
  if (!user || typeof body.password !== 'string' || !(await argonVerify(user.password, body.password))) {
    return reply.code(400).send(apiError(400, 'Failed to authenticate.'));
  }
  const token = await new SignJWT({ id: user.id, collectionId: USERS_ID, type: 'auth', refreshable: true })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime('7d')
    .sign(secret);
  return { token, record: userJson(user) };
});

app.get('/api/collections/posts/records', async (req, reply) => {
  const query = req.query as Record<string, string | undefined>;
  const page = Math.max(1, Number(query.page ?? 1) | 0);
  const perPage = Math.min(1000, Math.max(1, Number(query.perPage ?? 30) | 0));
  if (query.sort !== undefined && query.sort !== '-created') {
    return reply.code(400).send(apiError(400, 'Only sort=-created is supported by the baseline.'));
  }
  const user = await authUser(req);
  const offset = (page - 1) * perPage;
  const rows = user ? q.listAuth.all(user.id, perPage, offset) : q.listGuest.all(perPage, offset);
  const totalItems = (user ? q.countAuth.get(user.id) : q.countGuest.get())!.n;
  return { page, perPage, totalItems, totalPages: Math.ceil(totalItems / perPage), items: rows.map(postJson) };
});

app.get('/api/collections/posts/records/:id', async (req, reply) => {
  const { id } = req.params as { id: string };
  const user = await authUser(req);
  const row = user ? q.viewAuth.get(id, user.id) : q.viewGuest.get(id);
  if (!row) return reply.code(404).send(apiError(404, "The requested resource wasn't found."));
  return postJson(row);
});

app.post('/api/collections/posts/records', async (req, reply) => {
  const user = await authUser(req);
  if (!user) return reply.code(400).send(apiError(400, 'Failed to create record.'));
  const b = (req.body ?? {}) as Record<string, unknown>;
  const owner = typeof b.owner === 'string' ? b.owner : '';
  if (owner !== '' && !q.userExists.get(owner)) {
    return reply.code(400).send({ status: 400, message: 'Failed to create record.',
      data: { owner: { code: 'validation_missing_rel_records', message: 'Failed to find all relation records with the provided ids.' } } });
  }
  const now = pbDate(new Date());
  const row: PostRow = {
    id: typeof b.id === 'string' && /^[a-z0-9]{15}$/.test(b.id) ? b.id : newId(),
    owner, published: b.published === true || b.published === 'true' ? 1 : 0,
    title: typeof b.title === 'string' ? b.title : '', body: typeof b.body === 'string' ? b.body : '',
    created: now, updated: now,
  };
  try {
    q.insert.run(row.id, row.owner, row.published, row.title, row.body, row.created, row.updated);
  } catch {
    return reply.code(400).send(apiError(400, 'Failed to create record.'));
  }
  const rec = postJson(row);
  realtime.broadcast(rec);
  return rec;
});

app.listen({ host: '127.0.0.1', port }).then(
  () => console.log(`baseline listening on http://127.0.0.1:${port} (db ${dbFile})`),
  (err) => { console.error(err); process.exit(1); },
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => { realtime.closeAll(); app.close().finally(() => { db.close(); process.exit(0); }); });
}
