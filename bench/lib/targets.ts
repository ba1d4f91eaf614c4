// Start + seed the two targets (Basalt via its PocketBase API, baseline via direct SQLite) and expose auth tokens.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, registerTempDir, runOnce, spawnServer, stopServer, tailLog, waitHealthy, type Server } from './proc.ts';
import { apiOk, mapLimit } from './http.ts';
import {
  makePosts, makeUsers, SUPERUSER_EMAIL, SUPERUSER_PASSWORD, USER_PASSWORD, type SeedPost, type SeedUser,
} from './data.ts';
import { seedBaseline } from '../baseline/db.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BASALT_BIN = join(REPO_ROOT, 'bin/basalt.js');

export const LIST_RULE = 'published = true || owner = @request.auth.id';
export const CREATE_RULE = '@request.auth.id != ""';

export type TargetName = 'basalt' | 'baseline';
export interface BenchUser { id: string; email: string; token: string }
export interface Target {
  name: TargetName;
  url: string;
  server: Server;
  dir: string;
  users: BenchUser[];
  /** Seeded posts, with ids as assigned by the server. */
  posts: SeedPost[];
  seedMs: number;
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
  return { name: 'baseline', url, server, dir, users: benchUsers, posts, seedMs, stop: () => stopServer(server) };
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

export async function startBasalt(): Promise<Target> {
  if (!basaltAvailable()) throw new Error(`${BASALT_BIN} does not exist yet`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-basalt-'));
  registerTempDir(dir);
  const dataDir = join(dir, 'pb_data');
  await runOnce([BASALT_BIN, 'superuser', 'upsert', SUPERUSER_EMAIL, SUPERUSER_PASSWORD, `--dir=${dataDir}`], REPO_ROOT);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnServer([BASALT_BIN, 'serve', `--http=127.0.0.1:${port}`, `--dir=${dataDir}`], {
    cwd: REPO_ROOT, logFile: join(dir, 'server.log'), url, env: { NODE_ENV: 'production' },
  });
  try {
    await waitHealthy(server, 60_000);
    const su = await apiOk<{ token: string }>(url, 'POST', '/api/collections/_superusers/auth-with-password',
      { identity: SUPERUSER_EMAIL, password: SUPERUSER_PASSWORD });
    await apiOk(url, 'POST', '/api/collections', postsCollection(), su.token);

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
      if (++done % 2000 === 0) log(`basalt: seeded ${done}/${posts.length} posts`);
    });
    const seedMs = Date.now() - t0;
    const benchUsers = await loginAll(url, users);
    log(`basalt up on ${url} (pid ${server.pid}), seeded ${posts.length} posts via API in ${seedMs} ms`);
    return { name: 'basalt', url, server, dir, users: benchUsers, posts, seedMs, stop: () => stopServer(server) };
  } catch (e) {
    log(`basalt setup failed; server log tail:\n${tailLog(server.logFile)}`);
    await stopServer(server);
    throw e;
  }
}
