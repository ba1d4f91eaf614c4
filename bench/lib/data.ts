// Deterministic seed data (users, posts) shared by the Basalt and baseline targets.
export const USER_COUNT = Number(process.env.BENCH_USERS ?? 20);
export const POST_COUNT = Number(process.env.BENCH_POSTS ?? 10_000);
export const USER_PASSWORD = 'benchpassword123';
export const SUPERUSER_EMAIL = 'bench@example.com';
export const SUPERUSER_PASSWORD = 'benchpassword123';

export interface SeedUser { id: string; email: string }
export interface SeedPost { id: string; owner: string; published: boolean; title: string; body: string }

/** 15-char [a-z0-9] id, valid for PocketBase's default id field pattern. */
export function seqId(prefix: string, n: number): string {
  return prefix + String(n).padStart(15 - prefix.length, '0');
}

/** Small deterministic PRNG (mulberry32) so every run seeds identical text. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ' +
  'aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat').split(' ');

/** ~`len` bytes of pseudo-random lorem text. */
export function loremBody(rand: () => number, len = 500): string {
  let s = '';
  while (s.length < len) s += WORDS[Math.floor(rand() * WORDS.length)] + ' ';
  return s.slice(0, len).trimEnd() + '.';
}

export function makeUsers(n = USER_COUNT): SeedUser[] {
  return Array.from({ length: n }, (_, i) => ({ id: seqId('u', i), email: `user${i}@bench.example.com` }));
}

/** Every third post is unpublished; owners rotate over the users. */
export function makePosts(users: SeedUser[], n = POST_COUNT): SeedPost[] {
  const rand = prng(42);
  return Array.from({ length: n }, (_, i) => ({
    id: seqId('p', i),
    owner: users[i % users.length].id,
    published: i % 3 !== 0,
    title: `Post number ${i}`,
    body: loremBody(rand),
  }));
}

/** Body for a new post created by `owner` during the create/realtime scenarios. */
export function newPostPayload(owner: string, title: string, published = true): string {
  return JSON.stringify({ owner, published, title, body: loremBody(prng(title.length * 7919), 500) });
}

/** Ids a given user may see under `published = true || owner = @request.auth.id`. */
export function visibleIds(posts: SeedPost[], userId: string): string[] {
  return posts.filter((p) => p.published || p.owner === userId).map((p) => p.id);
}

/** PocketBase datetime layout: `YYYY-MM-DD HH:MM:SS.mmmZ`. */
export function pbDate(d: Date): string {
  return d.toISOString().replace('T', ' ');
}
