/**
 * An in-memory ApiBackend for the API tests: real wire objects (valid shapes, no valid
 * crypto), built on demand per height so a long chain costs no memory.
 *
 * The chain looks like one under the 2-chain rule: height h has round `roundAt(h)`, which
 * skips a round after every third height (a timeout), and the commit proof of h holds the
 * descendants of h up to the first one whose parent is from the round just before it,
 * with the QC of that one. So most proofs have one header and heights 2, 5, 8, ... have two.
 */
import {
  decode, encode, CodecError, SliceLeafSchema, TxSchema,
  type Batch, type BatchHeader, type Certificate, type Chunk, type CommitProof, type Slice, type SliceLeaf, type Tx
} from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, sha256 } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/tx.js'
import { txHash } from '../../src/batch/index.js'
import { AdmissionError, AdmissionErrorCode } from '../../src/mempool/errors.js'
import type { ApiBackend, NodeStatus, RollupInfo, SliceWithLeaves, StoredBatch, SubmitResult, TxStatus } from '../../src/api/index.js'

export const ROLLUPS: RollupInfo[] = [
  { id: 1, name: 'alpha', weight: 2 },
  { id: 7, name: 'beta', weight: 1 }
]

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface FakeBackendOptions {
  /** highest final height, -1 for none */
  finalHeight?: number
  /** actions per rollup at a height (0 gives an empty slice); default h % 3 */
  leavesAt?: (height: number) => number
  payloadBytes?: number
}

function filled (length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff
  return out
}

export function makeTx (nonce: number, rollupId = 1, payload: Uint8Array = filled(12, nonce)): Tx {
  return {
    version: 1,
    actions: [{ rollupId, payload }],
    sender: filled(32, 1),
    nonce,
    expiry: 1_700_000_000_000 + nonce,
    signature: filled(64, 2)
  }
}

/** Who signs the fake's slice leaves, so their sender proofs hold (as a real node's do). */
const LEAF_SIGNER = new Ed25519Signer(filled(32, 1))

/** A single-action leaf signed by LEAF_SIGNER on the fake's chain. */
export function signedLeaf (rollupId: number, nonce: number, payload: Uint8Array): SliceLeaf {
  const tx = signTx('test-chain', { actions: [{ rollupId, payload }], nonce, expiry: 1_700_000_000_000 + nonce }, LEAF_SIGNER)
  return {
    version: 1,
    txHash: txHash('test-chain', tx),
    actionIndex: 0,
    actionCount: 1,
    sender: tx.sender,
    nonce: tx.nonce,
    expiry: tx.expiry,
    actionPath: [],
    signature: tx.signature,
    payload
  }
}

/** The fake's batch hash of a height (headers are not really hashed). */
export function hashAt (height: number): Uint8Array {
  return filled(32, height + 100)
}

/** Rounds start at 1 and skip one after every third height: 1 2 3 5 6 7 9 ... */
export function roundAt (height: number): number {
  return height + 1 + Math.floor(height / 3)
}

export class FakeBackend implements ApiBackend {
  final: number
  readonly leavesAt: (height: number) => number
  readonly payloadBytes: number
  /** every body submitTx saw, in order */
  readonly submitted: Uint8Array[] = []
  /** nonce -> the admission error submitTx throws for it */
  readonly rejectByNonce = new Map<number, AdmissionError>()
  /** errors thrown as-is by submitTx (to test 500s) */
  crashOnNonce: number | null = null
  readonly statuses = new Map<string, TxStatus>()
  getSliceCalls = 0
  readonly listeners = new Set<(height: number) => void>()
  readonly metricsContentType = METRICS_CONTENT_TYPE

  constructor (opts: FakeBackendOptions = {}) {
    this.final = opts.finalHeight ?? 9
    this.leavesAt = opts.leavesAt ?? ((h) => h % 3)
    this.payloadBytes = opts.payloadBytes ?? 16
  }

  /** Makes one more height final and tells the listeners, like the node does. */
  advance (): number {
    this.final++
    for (const l of this.listeners) l(this.final)
    return this.final
  }

  async submitTx (bytes: Uint8Array): Promise<SubmitResult> {
    this.submitted.push(bytes)
    let tx: Tx
    try {
      tx = decode(TxSchema, bytes)
    } catch (err) {
      if (err instanceof CodecError) throw new AdmissionError(AdmissionErrorCode.MALFORMED, err.message)
      throw err
    }
    if (tx.nonce === this.crashOnNonce) throw new Error('backend bug')
    const rejection = this.rejectByNonce.get(tx.nonce)
    if (rejection !== undefined) throw rejection
    const hash = bytesToHex(sha256(bytes))
    this.statuses.set(hash, { status: 'pending' })
    return { hash, status: 'pending' }
  }

  async txStatus (hash: Uint8Array): Promise<TxStatus | null> {
    return this.statuses.get(bytesToHex(hash)) ?? null
  }

  status (): NodeStatus {
    return {
      chainId: 'test-chain',
      nodeId: 'node-0',
      nodeIndex: 0,
      height: this.final,
      round: 0,
      leader: 0,
      committee: [{ index: 0, name: 'n0', publicKey: bytesToHex(filled(32, 9)) }],
      peers: 3,
      mempool: { txs: 0, bytes: 0 },
      rollups: ROLLUPS
    }
  }

  finalHeight (): number {
    return this.final
  }

  async getBatch (height: number): Promise<StoredBatch | null> {
    if (height > this.final) return null
    const header = this.header(height)
    const chunks: Chunk[] = ROLLUPS.map((r, i) => ({
      version: 1,
      origin: i,
      seq: height,
      lane: r.id,
      txs: [makeTx(height * 10 + i, r.id)],
      signature: filled(64, 3)
    }))
    const batch: Batch = { version: 1, header, chunks }
    return { batch, hash: hashAt(height), finality: this.finality(height) }
  }

  resolveRollup (idOrName: string): RollupInfo | null {
    return ROLLUPS.find((r) => String(r.id) === idOrName || r.name === idOrName) ?? null
  }

  async getSlice (rollupId: number, height: number): Promise<SliceWithLeaves | null> {
    this.getSliceCalls++
    if (height > this.final) return null
    const leaves: SliceLeaf[] = []
    for (let i = 0; i < this.leavesAt(height); i++) {
      leaves.push(signedLeaf(rollupId, height * 100 + i, filled(this.payloadBytes, height + i)))
    }
    const namespace = new Uint8Array(8)
    new DataView(namespace.buffer).setBigUint64(0, BigInt(rollupId))
    const slice: Slice = {
      version: 1,
      rollupId,
      header: this.header(height),
      finality: this.finality(height),
      leaves: leaves.map((l) => {
        const body = encode(SliceLeafSchema, l)
        const out = new Uint8Array(8 + body.length)
        out.set(namespace)
        out.set(body, 8)
        return out
      }),
      proof: {
        start: 0,
        end: leaves.length,
        nodes: [filled(48, 5)],
        leafHash: leaves.length === 0 ? filled(48, 6) : new Uint8Array(0)
      }
    }
    return { slice, leaves }
  }

  async latestRollupHeight (rollupId: number): Promise<number> {
    return rollupId === 1 ? this.final : -1
  }

  onFinal (listener: (height: number) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  rollupStateList: Array<import('../../src/api/types.js').RollupStateJson> = []

  rollupStates (): Array<import('../../src/api/types.js').RollupStateJson> {
    return this.rollupStateList
  }

  rollupQuery (): Record<string, unknown> | null {
    return null
  }

  async metricsText (): Promise<string> {
    return '# TYPE seq_test counter\nseq_test 1\n'
  }

  header (height: number): BatchHeader {
    return {
      version: 1,
      chainId: 'test-chain',
      height,
      round: roundAt(height),
      parentHash: hashAt(height - 1),
      proposer: 0,
      timestamp: 1_700_000_000_000 + height,
      payloadRoot: filled(48, height),
      namespaces: ROLLUPS.map((r) => ({ rollupId: r.id, count: 1 })),
      chunkDigests: [filled(32, height + 7)],
      txCount: ROLLUPS.length
    }
  }

  /** The QC of the block at `height`. */
  certificate (height: number): Certificate {
    return { version: 1, height, round: roundAt(height), batchHash: hashAt(height), signers: Uint8Array.of(0b111), signatures: [filled(64, 4), filled(64, 5), filled(64, 6)] }
  }

  /** Why `height` is final: its descendants up to a certified block from the round after its parent's. */
  finality (height: number): CommitProof {
    const headers = [this.header(height + 1)]
    let last = height + 1
    while (roundAt(last) !== roundAt(last - 1) + 1) headers.push(this.header(++last))
    return { version: 1, headers, certificate: this.certificate(last) }
  }
}
