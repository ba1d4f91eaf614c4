// Injected time, so tests can freeze it.
export interface Clock { now(): Date }
export const systemClock: Clock = { now: () => new Date() }

/** PocketBase's datetime layout: `YYYY-MM-DD HH:MM:SS.mmmZ` (UTC). */
export function formatDate(d: Date): string {
  return d.toISOString().replace('T', ' ')
}
