// Baseline SQLite schema + direct seeding (same deterministic data the Basalt target gets via its API).
import Database from 'better-sqlite3';
import { hash } from '@node-rs/argon2';
import { pbDate, USER_PASSWORD, type SeedPost, type SeedUser } from '../lib/data.ts';

export type DB = Database.Database;

/** Same pragmas PocketBase applies to its data.db. */
export function openDb(file: string): DB {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('journal_size_limit = 200000000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -16000');
  return db;
}

export function createSchema(db: DB): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY NOT NULL,
      email TEXT NOT NULL UNIQUE,
      password TEXT NOT NULL,
      tokenKey TEXT NOT NULL,
      emailVisibility BOOLEAN NOT NULL DEFAULT FALSE,
      verified BOOLEAN NOT NULL DEFAULT FALSE,
      name TEXT NOT NULL DEFAULT '',
      avatar TEXT NOT NULL DEFAULT '',
      created TEXT NOT NULL DEFAULT '',
      updated TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE IF NOT EXISTS posts (
      id TEXT PRIMARY KEY NOT NULL,
      owner TEXT NOT NULL DEFAULT '',
      published BOOLEAN NOT NULL DEFAULT FALSE,
      title TEXT NOT NULL DEFAULT '',
      body TEXT NOT NULL DEFAULT '',
      created TEXT NOT NULL DEFAULT '',
      updated TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS idx_posts_created ON posts (created);
  `);
}

/** Seed users (argon2 password hashes) and posts; post `created` increases by 1 ms per row. */
export async function seedBaseline(file: string, users: SeedUser[], posts: SeedPost[]): Promise<void> {
  const db = openDb(file);
  try {
    createSchema(db);
    const pw = await hash(USER_PASSWORD);
    const now = pbDate(new Date());
    const insUser = db.prepare(
      'INSERT INTO users (id, email, password, tokenKey, created, updated) VALUES (?, ?, ?, ?, ?, ?)');
    const insPost = db.prepare(
      'INSERT INTO posts (id, owner, published, title, body, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const t0 = Date.now() - posts.length - 60_000;
    db.transaction(() => {
      for (const u of users) insUser.run(u.id, u.email, pw, `tk_${u.id}`, now, now);
      posts.forEach((p, i) => {
        const ts = pbDate(new Date(t0 + i));
        insPost.run(p.id, p.owner, p.published ? 1 : 0, p.title, p.body, ts, ts);
      });
    })();
  } finally {
    db.close();
  }
}
