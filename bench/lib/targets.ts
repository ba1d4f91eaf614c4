// Start + seed the targets (baseline via direct SQLite; Basalt on SQLite or PostgreSQL, 1-3 nodes, via its API) and log users in.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, registerTempDir, removeTempDir, runOnce, spawnServer, stopServer, tailLog, waitHealthy, type Server } from './proc.ts';
import { api, apiOk, mapLimit } from './http.ts';
import {
  makePosts, makeUsers, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, USER_PASSWORD, type SeedPost, type SeedUser,
} from './data.ts';
import { seedBaseline } from '../baseline/db.ts';
import { REDIS_URL, type BenchDb } from './pg.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BASALT_BIN = join(REPO_ROOT, 'bin/basalt.js');

export const LIST_RULE = 'published = true || owner = @request.auth.id';
export const CREATE_RULE = '@request.auth.id != ""';

/** `baseline` = hand-written Fastify + SQLite; the others are Basalt on a store with 1 or 2 nodes. */
export type TargetName = 'baseline' | 'sqlite' | 'pg-1' | 'pg-2';
export const BASALT_TARGETS: TargetName[] = ['sqlite', 'pg-1', 'pg-2'];
export const LABELS: Record<TargetName, string> = {
  baseline: 'baseline', sqlite: 'Basalt SQLite', 'pg-1': 'Basalt PG ×1', 'pg-2': 'Basalt PG ×2 + Redis',
};
export interface BenchUser { id: string; email: string; token: string }
export interface Target {
  name: TargetName;
  /** Node 0: seeding, sanity checks, realtime creates. */
  url: string;
  /** Every node; HTTP load is split evenly across them. */
  urls: string[];
  servers: Server[];
  dirs: string[];
  /** PostgreSQL database name (pg legs), for the backend CPU sampler. */
  pgDb?: string;
  users: BenchUser[];
  /** Seeded posts, with ids as assigned by the server. */
  posts: SeedPost[];
  seedMs: number;
  /** pg-2 only: start one more node of the same cluster (realtime across 3 nodes). */
  addNode?(): Promise<Server>;
  stop(): Promise<void>;
}

function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

async function loginAll(url: string, users: SeedUser[]): Promise<BenchUser[]> {
  return mapLimit(users, 5, async (u) => {
    const r = await apiOk<{ token: string; record: { id: string } }>(url, 'POST',
      '/api/collections/users/auth-with-password', { identity: u.email, password: USER_PASSWORD });
    return { id: r.record.id, email: u.email, token: r.token };
  });
}

export async function startBaseline(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
  registerTempDir(dir);
  const users = makeUsers();
  const posts = makePosts(users);
  const t0 = Date.now();
  await seedBaseline(join(dir, 'data.db'), users, posts);
  const seedMs = Date.now() - t0;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnServer(['--import', 'tsx', join(REPO_ROOT, 'bench/baseline/server.ts')], {
    cwd: REPO_ROOT, logFile: join(dir, 'server.log'), url,
    env: { BASELINE_DB: join(dir, 'data.db'), BASELINE_PORT: String(port), NODE_ENV: 'production' },
  });
  await waitHealthy(server);
  const benchUsers = await loginAll(url, users);
  log(`baseline up on ${url} (pid ${server.pid}), seeded ${posts.length} posts in ${seedMs} ms`);
  return { name: 'baseline', url, urls: [url], servers: [server], dirs: [dir], users: benchUsers, posts, seedMs, stop: () => stopServer(server) };
}

export function basaltAvailable(): boolean {
  return existsSync(BASALT_BIN);
}

function postsCollection() {
  return {
    name: 'posts', type: 'base',
    fields: [
      { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
      { name: 'published', type: 'bool' },
      { name: 'title', type: 'text' },
      { name: 'body', type: 'text' },
      { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
      { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    ],
    listRule: LIST_RULE, viewRule: LIST_RULE, createRule: CREATE_RULE, updateRule: null, deleteRule: null,
    indexes: ['CREATE INDEX idx_posts_created ON posts (created)'],
  };
}

/** What pg-1 and pg-2 share: one database, seeded once (by whichever leg starts first). */
export interface PgShared {
  db: BenchDb;
  seed?: { users: SeedUser[]; posts: SeedPost[]; seedMs: number };
}

const UNSET_CLUSTER = { DATABASE_URL: undefined, REDIS_URL: undefined, BASALT_REDIS_PREFIX: undefined };

function nodeEnv(name: TargetName, pgs?: PgShared): NodeJS.ProcessEnv {
  // Every bench client comes from 127.0.0.1: the per-IP caps (meant for one client hogging a server)
  // would refuse the 1000 realtime subscribers and the load generators' connections.
  const base = { NODE_ENV: 'production', BASALT_MAX_CONNECTIONS_PER_IP: '0', BASALT_MAX_REALTIME_PER_IP: '0', ...UNSET_CLUSTER };
  if (name === 'sqlite' || !pgs) return base;
  if (name === 'pg-1') return { ...base, DATABASE_URL: pgs.db.url };
  return { ...base, DATABASE_URL: pgs.db.url, REDIS_URL: REDIS_URL, BASALT_REDIS_PREFIX: pgs.db.redisPrefix };
}

async function spawnNode(name: TargetName, env: NodeJS.ProcessEnv, index: number,
  beforeServe?: (dataDir: string) => Promise<unknown>): Promise<{ server: Server; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `bench-basalt-${name}-`));
  registerTempDir(dir);
  const dataDir = join(dir, 'pb_data');
  await beforeServe?.(dataDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnServer([BASALT_BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dataDir}`], {
    cwd: REPO_ROOT, logFile: join(dir, 'server.log'), url, env,
  });
  try {
    await waitHealthy(server, 60_000);
  } catch (e) {
    await stopServer(server);
    throw e;
  }
  log(`${name}: node ${index + 1} up on ${url} (pid ${server.pid})`);
  return { server, dir };
}

/** Collection + 20 users (public sign-up) + 10,000 posts (superuser, 20 in flight) through `url`. */
async function seedBasalt(name: TargetName, url: string): Promise<{ users: SeedUser[]; posts: SeedPost[]; seedMs: number }> {
  const su = await apiOk<{ token: string }>(url, 'POST', '/api/collections/_superusers/auth-with-password',
    { identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD });
  await apiOk(url, 'POST', '/api/collections', postsCollection(), su.token);
  // One client IP sends every request: PocketBase-style per-IP rate limits (if enabled by default) would
  // answer 429 within seconds. The baseline has none; turn them off like PocketBase's default settings.
  const rl = await api(url, 'PATCH', '/api/settings', { rateLimits: { enabled: false } }, su.token);
  if (rl.status !== 200) log(`${name}: could not disable rate limits (PATCH /api/settings → ${rl.status} ${rl.text.slice(0, 200)})`);
  const t0 = Date.now();
  const seedUsers = makeUsers();
  const created = await mapLimit(seedUsers, 5, (u) => apiOk<{ id: string }>(url, 'POST', '/api/collections/users/records',
    { email: u.email, password: USER_PASSWORD, passwordConfirm: USER_PASSWORD }));
  const idMap = new Map(seedUsers.map((u, i) => [u.id, created[i].id]));
  const users = seedUsers.map((u) => ({ ...u, id: idMap.get(u.id)! }));
  const posts = makePosts(users);
  let done = 0;
  await mapLimit(posts, 20, async (p) => {
    const { id: _seedId, ...payload } = p; // let the server assign ids, like a real client
    const rec = await apiOk<{ id: string }>(url, 'POST', '/api/collections/posts/records', payload, su.token);
    p.id = rec.id;
    if (++done % 2000 === 0) log(`${name}: seeded ${done}/${posts.length} posts`);
  });
  return { users, posts, seedMs: Date.now() - t0 };
}

/**
 * Basalt on SQLite (one node), or on the shared PostgreSQL database: `pg-1` = one node, no Redis;
 * `pg-2` = two nodes + Redis. The first PG leg started creates the superuser and seeds; the other reuses it.
 */
export async function startBasalt(name: Exclude<TargetName, 'baseline'>, pgs?: PgShared): Promise<Target> {
  if (!basaltAvailable()) throw new Error(`${BASALT_BIN} does not exist yet`);
  if (name !== 'sqlite' && !pgs) throw new Error(`${name} needs a PostgreSQL database`);
  const env = nodeEnv(name, pgs);
  const nodes: { server: Server; dir: string }[] = [];
  const stopAll = async () => { await Promise.all(nodes.map((n) => stopServer(n.server))); };
  try {
    if (name === 'sqlite') {
      nodes.push(await spawnNode(name, env, 0, (dataDir) =>
        runOnce([BASALT_BIN, 'superuser', 'upsert', SUPERUSER_EMAIL, SUPERUSER_PASSWORD, `--dir=${dataDir}`], REPO_ROOT, 60_000, env)));
    } else {
      if (!pgs!.seed) {
        const suDir = mkdtempSync(join(tmpdir(), 'bench-basalt-su-'));
        registerTempDir(suDir);
        await runOnce([BASALT_BIN, 'superuser', 'upsert', SUPERUSER_EMAIL, SUPERUSER_PASSWORD, `--dir=${join(suDir, 'pb_data')}`],
          REPO_ROOT, 60_000, env);
        removeTempDir(suDir);
      }
      const count = name === 'pg-2' ? 2 : 1;
      // Started together on purpose: `serve` migrates under an advisory lock, so concurrent starts must not race.
      const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => spawnNode(name, env, i)));
      for (const s of settled) if (s.status === 'fulfilled') nodes.push(s.value);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    }
    const url = nodes[0].server.url;
    let seed: { users: SeedUser[]; posts: SeedPost[]; seedMs: number };
    let seeded = false;
    if (name === 'sqlite' || !pgs!.seed) {
      seed = await seedBasalt(name, url);
      seeded = true;
      if (pgs) pgs.seed = seed;
    } else {
      seed = pgs!.seed;
      log(`${name}: reusing the seed data already in ${pgs!.db.name}`);
    }
    // Log in through the last node: on pg-2 the tokens then come from another node than the seeding one.
    const benchUsers = await loginAll(nodes[nodes.length - 1].server.url, seed.users);
    log(`${name} up on ${nodes.map((n) => n.server.url).join(', ')}` +
      (seeded ? `, seeded ${seed.posts.length} posts via API in ${seed.seedMs} ms` : ''));
    const t: Target = {
      name, url, urls: nodes.map((n) => n.server.url), servers: nodes.map((n) => n.server), dirs: nodes.map((n) => n.dir),
      pgDb: pgs?.db.name, users: benchUsers,
      // Shared with the other PG leg on purpose: posts created by sanity checks are seen by both.
      posts: seed.posts, seedMs: seeded ? seed.seedMs : NaN,
      stop: stopAll,
    };
    if (name === 'pg-2') {
      t.addNode = async () => {
        const n = await spawnNode(name, env, nodes.length);
        nodes.push(n);
        t.dirs.push(n.dir);
        return n.server;
      };
    }
    return t;
  } catch (e) {
    for (const n of nodes) log(`${name} setup failed; ${n.server.url} log tail:\n${tailLog(n.server.logFile)}`);
    await stopAll();
    throw e;
  }
}
