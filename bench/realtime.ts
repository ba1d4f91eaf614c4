// Realtime scenario: N raw-HTTP SSE subscribers on posts/* (spread round-robin over the target's nodes), then
// sequential creates through node 0; measures delivery latency to every subscriber.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { api, mapLimit } from './lib/http.ts';
import { newPostPayload } from './lib/data.ts';
import type { Target } from './lib/targets.ts';

export interface RealtimeConfig { subscribers: number; creates: number; gapMs: number; eventTimeoutMs: number }
export interface RealtimeStats {
  subscribers: number; connected: number; subscribed: number; creates: number; nodes: number;
  expected: number; delivered: number; p50: number; p99: number; max: number;
  createP50: number; connectMs: number; errors: string[];
}

interface Sub { req: http.ClientRequest; res?: http.IncomingMessage; clientId?: string; closed: boolean }

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Open one SSE stream; `onEvent` gets (event, id, data, receivedAt) per message. */
function connect(url: string, onEvent: (ev: string, id: string, data: string, at: number) => void): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/realtime`, { method: 'GET', agent: false, headers: { accept: 'text/event-stream' } });
    const sub: Sub = { req, closed: false };
    const timer = setTimeout(() => { req.destroy(); reject(new Error('no PB_CONNECT within 15 s')); }, 15_000);
    req.on('error', (e) => { clearTimeout(timer); sub.closed = true; reject(e); });
    req.on('response', (res) => {
      sub.res = res;
      if (res.statusCode !== 200) { clearTimeout(timer); reject(new Error(`GET /api/realtime → ${res.statusCode}`)); res.resume(); return; }
      res.setEncoding('utf8');
      res.socket.setNoDelay(true);
      let buf = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buf += chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
        let sep: number;
        while ((sep = buf.indexOf('\n\n')) !== -1) {
          const msg = buf.slice(0, sep);
          buf = buf.slice(sep + 2);
          let ev = 'message', id = '', data = '';
          for (const line of msg.split('\n')) {
            const c = line.indexOf(':');
            if (c <= 0) continue;
            const field = line.slice(0, c);
            const value = line.slice(c + 1).replace(/^ /, '');
            if (field === 'event') ev = value; else if (field === 'id') id = value; else if (field === 'data') data += data ? '\n' + value : value;
          }
          if (ev === 'PB_CONNECT') {
            clearTimeout(timer);
            try { sub.clientId = id || JSON.parse(data).clientId; } catch { sub.clientId = id; }
            resolve(sub);
          } else onEvent(ev, id, data, at);
        }
      });
      res.on('close', () => { sub.closed = true; });
    });
    req.end();
  });
}

/**
 * `whileConnected` runs once all subscribers are subscribed (e.g. to sample server RSS). Subscriber i streams
 * from and subscribes through `urls[i % urls.length]`; creates go through `t.url`.
 */
export async function runRealtime(t: Target, cfg: RealtimeConfig, whileConnected?: () => void, urls = t.urls): Promise<RealtimeStats> {
  const errors: string[] = [];
  const sent = new Map<string, number>();          // title → t0
  const received = new Map<string, number>();      // title → deliveries so far
  const latencies: number[] = [];
  const privateTitle = `rt-private-${Date.now().toString(36)}`;
  let privateToOwner = 0, privateLeaks = 0;
  const ownerOf = (i: number) => t.users[i % t.users.length];
  const onEvent = (sub: number) => (ev: string, _id: string, data: string, at: number) => {
    if (!ev.startsWith('posts')) return;
    let title: string;
    try { title = JSON.parse(data).record.title; } catch { errors.push(`bad event data: ${data.slice(0, 80)}`); return; }
    if (title === privateTitle) {
      if (ownerOf(sub) === t.users[0]) privateToOwner++; else privateLeaks++;
      return;
    }
    const t0 = sent.get(title);
    if (t0 === undefined) return;
    latencies.push(at - t0);
    received.set(title, (received.get(title) ?? 0) + 1);
  };

  const c0 = performance.now();
  const settled = await mapLimit(Array.from({ length: cfg.subscribers }), 50, async (_, i) => {
    try { return await connect(urls[i % urls.length], onEvent(i)); } catch (e) { errors.push(`connect: ${(e as Error).message}`); return null; }
  });
  const subs = settled.filter((s): s is Sub => s !== null && !!s.clientId);
  let subscribed = 0;
  await mapLimit(settled, 50, async (s, i) => {
    if (!s?.clientId) return;
    const token = ownerOf(i).token;
    const r = await api(urls[i % urls.length], 'POST', '/api/realtime', { clientId: s.clientId, subscriptions: ['posts/*'] }, token);
    if (r.status === 204 || r.status === 200) subscribed++;
    else if (errors.length < 20) errors.push(`subscribe → ${r.status} ${r.text.slice(0, 120)}`);
  });
  const connectMs = performance.now() - c0;
  await new Promise((r) => setTimeout(r, 250));
  whileConnected?.();

  const createLat: number[] = [];
  const run = Date.now().toString(36);
  for (let k = 0; k < cfg.creates; k++) {
    const u = t.users[k % t.users.length];
    const title = `rt-${run}-${k}`;
    const body = newPostPayload(u.id, title, true);
    const t0 = performance.now();
    sent.set(title, t0);
    const res = await fetch(`${t.url}/api/collections/posts/records`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', authorization: u.token },
    });
    await res.arrayBuffer();
    createLat.push(performance.now() - t0);
    if (res.status !== 200) errors.push(`create ${k} → ${res.status}`);
    const deadline = performance.now() + cfg.eventTimeoutMs;
    while ((received.get(title) ?? 0) < subscribed && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (cfg.gapMs > 0) await new Promise((r) => setTimeout(r, cfg.gapMs));
  }

  // Privacy probe: an unpublished post must reach only its owner's subscribers (listRule).
  const res = await fetch(`${t.url}/api/collections/posts/records`, {
    method: 'POST', body: newPostPayload(t.users[0].id, privateTitle, false),
    headers: { 'content-type': 'application/json', authorization: t.users[0].token },
  });
  await res.arrayBuffer();
  await new Promise((r) => setTimeout(r, 500));
  const ownerSubs = settled.filter((s, i) => s?.clientId && ownerOf(i) === t.users[0]).length;
  if (privateLeaks > 0) errors.push(`unpublished post delivered to ${privateLeaks} non-owner subscriber(s) (listRule leak)`);
  if (privateToOwner !== ownerSubs) errors.push(`unpublished post reached ${privateToOwner}/${ownerSubs} owner subscribers`);

  for (const s of subs) s.req.destroy();
  latencies.sort((a, b) => a - b);
  createLat.sort((a, b) => a - b);
  return {
    subscribers: cfg.subscribers, connected: subs.length, subscribed, creates: cfg.creates, nodes: urls.length,
    expected: subscribed * cfg.creates, delivered: latencies.length,
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN,
    createP50: percentile(createLat, 50), connectMs, errors,
  };
}
