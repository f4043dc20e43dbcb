/** Test helpers for runs that submit txs by script and time them to finality. */
import type { FaultProfile } from './simulation.js'

/** No drops, duplicates or long delays, links up to 10 ms: only the scripted faults. */
export const calm: Partial<FaultProfile> = { dropP: 0, dupP: 0, longDelayP: 0, maxDelayMs: 10, crashes: 0, partitions: 0 }

/** When the tx of a chunk was submitted, for a script that submits one every `every` ms from `from` (the simulator numbers txs in submit order, in the last 8 hex digits of the digest). */
export function submittedAt (digest: Uint8Array, from: number, every: number): number {
  return from + every * parseInt(Buffer.from(digest).toString('hex').slice(-8), 16)
}
