/**
 * Exponential backoff: `initialMs` for attempt 0, doubling each attempt, never above
 * `maxMs`. The doublings are capped (`maxDoublings`) so a long failure streak cannot
 * overflow to Infinity (and `0 * Infinity` to NaN); at 2^30 any sane `initialMs` is far
 * past `maxMs` already.
 */
export function backoffDelay (attempt: number, initialMs: number, maxMs: number, maxDoublings = 30): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt), maxDoublings))
}
