/** The fixed one-member chain the crash writer and its checker share, and a seeded PRNG. */
import { sha256 } from '../../src/crypto/index.js'
import { Ed25519Signer } from '../../src/crypto/index.js'
import type { ChainRules } from '../../src/store/index.js'
import { chainRules } from '../../src/node/data-check.js'

export const committeeSeed = sha256(new TextEncoder().encode('durability committee seed'))

export const crashGenesis = {
  chainId: 'durability-1',
  hash: sha256(new TextEncoder().encode('durability genesis')),
  committeeKeys: [new Ed25519Signer(committeeSeed).publicKey],
  rollups: [{ id: 1, name: 'token', weight: 1 }, { id: 2, name: 'kv', weight: 1 }],
  limits: { maxPayloadBytes: 4096, maxActionsPerTx: 8, maxTxBytes: 16_384, maxExpiryWindowMs: 600_000, maxBatchTxs: 500, maxBatchBytes: 4 * 1024 * 1024 }
}

export const crashRules: ChainRules = chainRules(crashGenesis)

/** Small seeded PRNG (mulberry32): the same seed gives the same kill schedule. */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
