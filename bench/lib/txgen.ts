/**
 * Pre-signed transactions, made before the measured window so the load generator only
 * sends bytes. Signing uses the node's `signTx` (src/mempool/tx.ts, node:crypto), which
 * produces the same bytes as the SDK's `buildTx` (a test in test/client checks it) at a
 * fraction of noble's cost. Tx i is signed by sender i mod K for rollup i mod R and
 * carries `actions` payloads for that rollup (one signature for K payloads, like the
 * SDK's `createTxBuilder().many`). Payloads are random bytes by default (the toy rollups
 * record a failed receipt for each, which is fine for ordering latency); with
 * `payloadKind: 'valid'` kv gets valid kv sets of fresh keys of the requested size, which
 * the kv rollup executes (and whose state root it rebuilds every height).
 */
import { randomBytes } from 'node:crypto'
import { encode, TxSchema } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/tx.js'
import { txHash } from '../../src/batch/index.js'
import { encodeKvSet, KV_MAX_VALUE_BYTES } from '../../src/rollup-adapters/index.js'

export interface TxSet {
  chainId: string
  count: number
  bytes: Uint8Array[]
  /** lowercase hex, as the API and the SDK print them */
  hashes: string[]
  rollupIds: number[]
  actions: number
  payloadBytes: number
  /** mean encoded tx size */
  meanTxBytes: number
  signMs: number
}

export interface TxGenOptions {
  chainId: string
  count: number
  senders: number
  rollups: Array<{ id: number, name: string }>
  actions: number
  payloadBytes: number
  /** random bytes for every rollup, or valid kv sets for kv (random for the others) */
  payloadKind: 'random' | 'valid'
  /** index into `rollups` of tx i (default i mod rollups), e.g. weightedPattern for a flood */
  rollupOf?: (i: number) => number
  /** unix ms; default now + 50 min (genesis allows up to 60 min) */
  expiry?: number
  onProgress?: (done: number) => void
}

export function presignTxs (opts: TxGenOptions): TxSet {
  const t0 = performance.now()
  const signers = Array.from({ length: opts.senders }, () => new Ed25519Signer(generateKeyPair().seed))
  const nonces = new Array<number>(opts.senders).fill(0)
  const expiry = opts.expiry ?? Date.now() + 50 * 60_000
  const payloadFor = opts.rollups.map((r) => r.name === 'kv' && opts.payloadKind === 'valid' ? kvPayloadMaker(opts.payloadBytes) : () => randomBytes(opts.payloadBytes))
  const bytes: Uint8Array[] = new Array(opts.count)
  const hashes: string[] = new Array(opts.count)
  const rollupIds: number[] = new Array(opts.count)
  let totalBytes = 0
  for (let i = 0; i < opts.count; i++) {
    const s = i % opts.senders
    const r = opts.rollupOf?.(i) ?? i % opts.rollups.length
    const rollupId = opts.rollups[r]!.id
    const actions = Array.from({ length: opts.actions }, () => ({ rollupId, payload: payloadFor[r]!() }))
    const body = { actions, nonce: nonces[s]!++, expiry }
    const tx = signTx(opts.chainId, body, signers[s]!)
    bytes[i] = encode(TxSchema, tx)
    hashes[i] = bytesToHex(txHash(opts.chainId, tx))
    rollupIds[i] = rollupId
    totalBytes += bytes[i]!.length
    if (opts.onProgress !== undefined && (i & 4095) === 4095) opts.onProgress(i + 1)
  }
  return { chainId: opts.chainId, count: opts.count, bytes, hashes, rollupIds, actions: opts.actions, payloadBytes: opts.payloadBytes, meanTxBytes: opts.count === 0 ? 0 : totalBytes / opts.count, signMs: performance.now() - t0 }
}

/** kv sets of a 16-byte random key and a value sized so the payload is `size` bytes. */
function kvPayloadMaker (size: number): () => Uint8Array {
  const key = (): Uint8Array => randomBytes(16)
  let valueLen = size - 24
  for (let attempt = 0; attempt < 4 && valueLen >= 0 && valueLen <= KV_MAX_VALUE_BYTES; attempt++) {
    const got = encodeKvSet(key(), new Uint8Array(valueLen)).length
    if (got === size) return () => encodeKvSet(key(), randomBytes(valueLen))
    valueLen += size - got
  }
  return () => randomBytes(size) // too small or too large for a kv set: random bytes
}

/**
 * A repeating rollup pattern with the given weights, evenly interleaved (smooth weighted
 * round robin): weights [10, 1] give 10 txs of rollup 0 for each one of rollup 1, the
 * rollup-1 txs evenly spaced, so an open loop at rate R offers R*10/11 and R/11 tx/s.
 */
export function weightedPattern (weights: number[]): (i: number) => number {
  const total = weights.reduce((a, b) => a + b, 0)
  if (weights.length === 0 || total <= 0 || weights.some((w) => !Number.isInteger(w) || w < 0)) throw new Error(`bad weights ${weights.join(',')}`)
  const current = weights.map(() => 0)
  const pattern: number[] = []
  for (let k = 0; k < total; k++) {
    let best = 0
    for (let j = 0; j < weights.length; j++) {
      current[j]! += weights[j]!
      if (current[j]! > current[best]!) best = j
    }
    current[best]! -= total
    pattern.push(best)
  }
  return (i) => pattern[i % total]!
}
