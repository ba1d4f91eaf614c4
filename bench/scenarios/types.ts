// Shared shape of one benchmark scenario (one hot path).
import type { Options } from 'autocannon';
import type { Target } from '../lib/targets.ts';

export interface Scenario {
  name: string;
  description: string;
  /** Minimum Basalt/baseline throughput ratio (undefined = informational). */
  minRatio?: number;
  /** Minimum Basalt-on-PostgreSQL (1 node) / Basalt-on-SQLite throughput ratio (undefined = informational). */
  pgMinRatio?: number;
  build(t: Target): Omit<Options, 'duration' | 'connections'>;
}

/** Round-robin over the bench users so every request carries a real user token. */
export function rotate<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}
