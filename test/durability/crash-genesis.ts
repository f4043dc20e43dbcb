/** The fixed one-member chain the crash writer, its checker and the corruption tests share; a seeded PRNG. */
import { pino } from 'pino'
import { encode, TxSchema } from '../../src/codec/index.js'
import { Ed25519Signer, sha256 } from '../../src/crypto/index.js'
import { Mempool, defaultMempoolOptions, signTx } from '../../src/mempool/index.js'
import { ConsensusDriver, SoleMemberTransport, defaultConsensusDriverOptions } from '../../src/ordering/index.js'
import type { ChainRules, ChainStore } from '../../src/store/index.js'
import { chainRules } from '../../src/node/data-check.js'

export const committeeSeed = sha256(new TextEncoder().encode('durability committee seed'))

export const crashGenesis = {
  chainId: 'durability-1',
  hash: sha256(new TextEncoder().encode('durability genesis')),
  committeeKeys: [new Ed25519Signer(committeeSeed).publicKey],
  rollups: [{ id: 1, name: 'token', weight: 1 }, { id: 2, name: 'kv', weight: 1 }],
  limits: { maxPayloadBytes: 4096, maxActionsPerTx: 8, maxTxBytes: 16_384, maxExpiryWindowMs: 600_000, maxBatchTxs: 10_000, maxBatchBytes: 4 * 1024 * 1024 } // as init-home: above the packer's 2000-tx chunks (a bigger chunk could never be proposed)
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

/** The node's writers over a store: a real Mempool (WAL) and ConsensusDriver as the only member. */
export async function startOrdering (store: ChainStore): Promise<{ mempool: Mempool, driver: ConsensusDriver }> {
  const mempool = new Mempool(crashGenesis, store, defaultMempoolOptions)
  await mempool.recover()
  const driver = await ConsensusDriver.restore({
    chainId: crashGenesis.chainId,
    committeeKeys: crashGenesis.committeeKeys,
    rollupIds: crashGenesis.rollups.map((r) => r.id),
    limits: crashGenesis.limits,
    self: 0,
    signer: new Ed25519Signer(committeeSeed),
    store,
    mempool,
    transport: new SoleMemberTransport(),
    logger: pino({ level: 'silent' }),
    metrics: null,
    onFinal: () => {}
  }, { ...defaultConsensusDriverOptions, baseTimeoutMs: 300 })
  driver.start()
  return { mempool, driver }
}

const sender = new Ed25519Signer(sha256(new TextEncoder().encode('durability sender')))

/** An encoded signed tx for rollup 1, 2 or both (by n). */
export function crashTx (n: number): Uint8Array {
  return encode(TxSchema, signTx(crashGenesis.chainId, {
    actions: [[1], [2], [1, 2]][n % 3]!.map((rollupId) => ({ rollupId, payload: sha256(Uint8Array.of(n & 0xff, n >> 8)) })),
    nonce: n,
    expiry: Date.now() + 10 * 60_000
  }, sender))
}
