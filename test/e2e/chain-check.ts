/**
 * Checks of a committee's chains as its nodes serve them over the API, for the
 * multi-process end-to-end tests: byte-identical batches on every node, a finality proof
 * per node and height that verifies against the genesis committee, hash links,
 * `validateBatch`, and every acknowledged tx counted exactly once where its status says.
 */
import type { Test } from 'tap'
import { randomBytes, randomInt } from 'node:crypto'
import { batchHash, nodeNmt, validateBatch, verifySlice } from '../../src/batch/index.js'
import {
  BatchHeaderSchema, BatchSchema, CommitProofSchema, SliceSchema, TxSchema, decode, encode,
  type Batch, type BatchHeader, type CommitProof
} from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, equalBytes, generateKeyPair, hexToBytes, verifyEd25519 } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { verifyCommitProof } from '../../src/ordering/commit-proof.js'
import type { BatchHeaderJson, BatchJson, CertificateJson } from '../../src/api/json-views.js'
import type { NodeStatus } from '../../src/api/types.js'
import { getDecoded, getJson, getMsgpack, mapConcurrent, submitTxBytes, waitCommitted, type TxStatusReply } from '../helpers/node-process.js'

export interface CommitteeView {
  chainId: string
  committeeKeys: Uint8Array[]
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `probe` until it returns a non-null value; throws with `what` after `timeoutMs`. */
export async function waitFor<T> (what: string, timeoutMs: number, probe: () => Promise<T | null>, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown = null
  for (;;) {
    try {
      const value = await probe()
      if (value !== null) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError !== null ? ` (last error: ${String(lastError)})` : ''}`)
    await sleep(intervalMs)
  }
}

export async function getStatus (url: string): Promise<NodeStatus> {
  return await getJson<NodeStatus>(url, '/v1/status')
}

// ---------------------------------------------------------------- txs

/** Signed txs for rollups 1 and 2: single actions and two-action bundles, random payloads. */
export class TxSource {
  readonly #signers = Array.from({ length: 4 }, () => new Ed25519Signer(generateKeyPair().seed))
  #nonce = 0

  constructor (readonly chainId: string) {}

  next (): { hash: string, bytes: Uint8Array } {
    const shapes = [[1], [2], [1, 2], [2, 1]]
    const rollups = shapes[this.#nonce % shapes.length]!
    const signer = this.#signers[randomInt(this.#signers.length)]!
    const tx = signTx(this.chainId, {
      actions: rollups.map((rollupId) => ({ rollupId, payload: randomBytes(1 + randomInt(120)) })),
      nonce: this.#nonce++,
      expiry: Date.now() + 10 * 60_000
    }, signer)
    return { hash: bytesToHex(txHash(this.chainId, tx)), bytes: encode(TxSchema, tx) }
  }
}

/** What the test sent and which node acknowledged what. */
export class Ledger {
  /** every tx whose submission was started (acknowledged or not) */
  readonly sent = new Set<string>()
  /** tx hash -> committee index of the node that answered 202 */
  readonly ackedBy = new Map<string, number>()
  /** anything unexpected a submission answered */
  readonly errors: string[] = []

  constructor (readonly source: TxSource) {}

  /**
   * Submits `count` fresh txs, the i-th to `targets[i % targets.length]`, with at most
   * `concurrency` in flight; returns the hashes acknowledged (202).
   */
  async submit (targets: Array<{ index: number, url: string }>, count: number, concurrency = 8): Promise<string[]> {
    const txs = Array.from({ length: count }, (_, i) => ({ ...this.source.next(), target: targets[i % targets.length]! }))
    for (const tx of txs) this.sent.add(tx.hash)
    const acked: string[] = []
    await mapConcurrent(txs, concurrency, async (tx) => {
      let reply: Awaited<ReturnType<typeof submitTxBytes>>
      try {
        reply = await submitTxBytes(tx.target.url, tx.bytes)
      } catch (err) {
        this.errors.push(`submit to node-${tx.target.index} failed: ${String(err)}`)
        return
      }
      if (reply.status === 202 && reply.body.hash === tx.hash) {
        this.ackedBy.set(tx.hash, tx.target.index)
        acked.push(tx.hash)
      } else {
        this.errors.push(`submit to node-${tx.target.index}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`)
      }
    })
    return acked
  }
}

// ---------------------------------------------------------------- JSON -> wire

function bytesOf (hex: string, what: string): Uint8Array {
  const bytes = hexToBytes(hex)
  if (bytes === null) throw new Error(`${what} is not hex: ${hex}`)
  return bytes
}

function headerFromJson (h: BatchHeaderJson): BatchHeader {
  return {
    version: 1,
    chainId: h.chainId,
    height: h.height,
    round: h.round,
    parentHash: bytesOf(h.parentHash, 'parentHash'),
    proposer: h.proposer,
    timestamp: h.timestamp,
    payloadRoot: bytesOf(h.payloadRoot, 'payloadRoot'),
    namespaces: h.namespaces.map((n) => ({ rollupId: n.rollupId, count: n.count })),
    chunkDigests: h.chunkDigests.map((d) => bytesOf(d, 'chunk digest')),
    txCount: h.txCount
  }
}

function certificateFromJson (c: CertificateJson): CommitProof['certificate'] {
  return {
    version: 1,
    height: c.height,
    round: c.round,
    batchHash: bytesOf(c.batchHash, 'batchHash'),
    signers: bytesOf(c.signers, 'signers'),
    signatures: c.signatures.map((s) => bytesOf(s, 'signature'))
  }
}

/** The `finality` of `GET /v1/blocks/:h` (JSON) as the wire CommitProof (checked by a strict round trip). */
export function commitProofFromJson (json: BatchJson['finality']): CommitProof {
  const proof: CommitProof = { version: 1, headers: json.headers.map(headerFromJson), certificate: certificateFromJson(json.certificate) }
  return decode(CommitProofSchema, encode(CommitProofSchema, proof))
}

// ---------------------------------------------------------------- chain checks

export interface Member {
  index: number
  url: string
}

/** What was fetched from one node's API (final batches never change, so they are read once). */
interface NodeCache {
  bytes: Map<number, Uint8Array>
  batches: Map<number, Batch>
  /** heights whose JSON view (hash, header, finality) was checked */
  finalityChecked: Set<number>
}

export interface ChainReport {
  /** lowest final height among the members checked */
  height: number
  /** tx hash -> where it is counted */
  locations: Map<string, Array<{ height: number, index: number }>>
}

/**
 * Verifies the members' chains as their APIs serve them; each node's reads are cached by
 * URL, so a restarted node (new URL) is read again from scratch.
 */
export class ChainChecker {
  readonly #caches = new Map<string, NodeCache>()
  readonly #deps = { nmt: nodeNmt, verifySignature: verifyEd25519, txHash, batchHash }

  constructor (readonly committee: CommitteeView) {}

  #cache (url: string): NodeCache {
    let cache = this.#caches.get(url)
    if (cache === undefined) {
      cache = { bytes: new Map(), batches: new Map(), finalityChecked: new Set() }
      this.#caches.set(url, cache)
    }
    return cache
  }

  /**
   * Waits until every hash in `expected` is committed on every member, then checks heights
   * 0..h (h = the lowest final height among them) on all of them. Records each problem as
   * a failed assertion, labelled with `label`.
   */
  async check (t: Test, label: string, members: Member[], expected: Iterable<string>, sent: Set<string>, waitMs = 30_000): Promise<ChainReport> {
    const wanted = [...new Set(expected)]
    const waited = await Promise.all(members.map(async (m) => ({ m, ...(await waitCommitted(m.url, wanted, waitMs)) })))
    for (const { m, missing } of waited) {
      t.equal(missing.size, 0, `${label}: all ${wanted.length} acknowledged txs are committed on node-${m.index}` +
        (missing.size > 0 ? ` (missing ${missing.size}, e.g. ${JSON.stringify([...missing].slice(0, 3))})` : ''))
    }

    const statuses = await Promise.all(members.map(async (m) => await getStatus(m.url)))
    const height = Math.min(...statuses.map((s) => s.height))
    const heights = Array.from({ length: height + 1 }, (_, h) => h)

    // Every member: the msgpack batch and the JSON view (hash, finality) of each height.
    const finalityProblems: string[] = []
    await Promise.all(members.map(async (m) => {
      const cache = this.#cache(m.url)
      await mapConcurrent(heights, 4, async (h) => {
        if (!cache.bytes.has(h)) {
          const { bytes, value } = await getDecoded(m.url, `/v1/blocks/${h}`, BatchSchema)
          cache.bytes.set(h, bytes)
          cache.batches.set(h, value)
        }
        if (cache.finalityChecked.has(h)) return
        const batch = cache.batches.get(h)!
        const view = await getJson<BatchJson>(m.url, `/v1/blocks/${h}`)
        const hash = batchHash(batch.header)
        let problem: string | null = null
        if (view.hash !== bytesToHex(hash)) problem = 'JSON hash differs from the hash of the msgpack header'
        else if (!equalBytes(encode(BatchHeaderSchema, headerFromJson(view.header)), encode(BatchHeaderSchema, batch.header))) problem = 'JSON header differs from the msgpack header'
        else {
          const proof = verifyCommitProof(this.committee, batch.header, hash, commitProofFromJson(view.finality), this.#deps)
          if (!proof.ok) problem = `finality proof does not verify: ${proof.reason}`
        }
        if (problem !== null) finalityProblems.push(`node-${m.index} height ${h}: ${problem}`)
        else cache.finalityChecked.add(h)
      })
    }))
    t.same(finalityProblems, [], `${label}: on nodes ${members.map((m) => m.index).join(', ')}, each batch 0..${height} has a finality proof that verifies against the genesis committee`)

    // Byte-identical batches on every member.
    const reference = this.#cache(members[0]!.url)
    const differing: string[] = []
    for (const m of members.slice(1)) {
      const cache = this.#cache(m.url)
      for (const h of heights) if (!equalBytes(cache.bytes.get(h)!, reference.bytes.get(h)!)) differing.push(`node-${m.index} height ${h}`)
    }
    t.same(differing, [], `${label}: nodes ${members.map((m) => m.index).join(', ')} hold byte-identical batches 0..${height}`)

    // One chain: contiguous, hash-linked, valid; every counted tx located.
    const problems: string[] = []
    const locations = new Map<string, Array<{ height: number, index: number }>>()
    let previous: Batch | null = null
    for (const h of heights) {
      const batch = reference.batches.get(h)!
      const { header } = batch
      if (header.height !== h) problems.push(`batch ${h} says height ${header.height}`)
      const parent = previous === null ? new Uint8Array(32) : batchHash(previous.header)
      if (!equalBytes(header.parentHash, parent)) problems.push(`batch ${h} parentHash is not the hash of batch ${h - 1}`)
      if (previous !== null && header.round <= previous.header.round) problems.push(`batch ${h} round ${header.round} is not above ${previous.header.round}`)
      previous = batch
      const check = validateBatch(this.committee, batch, this.#deps, (hex) => locations.has(hex))
      if (!check.ok) { problems.push(`batch ${h} invalid: ${check.reason}`); continue }
      check.counted.forEach((c, index) => {
        const hex = bytesToHex(c.hash)
        const list = locations.get(hex) ?? []
        list.push({ height: h, index })
        locations.set(hex, list)
      })
    }
    t.same(problems, [], `${label}: heights 0..${height} are contiguous, hash-linked, in rising rounds, and pass validateBatch`)
    const counted = [...locations.values()].reduce((n, l) => n + l.length, 0)
    t.ok(counted > 0, `${label}: ${counted} txs counted in heights 0..${height}`)
    t.same([...locations].filter(([, l]) => l.length > 1), [], `${label}: no tx is counted twice`)
    t.same([...locations.keys()].filter((hash) => !sent.has(hash)), [], `${label}: every counted tx is one the test sent`)

    const notOnce: string[] = []
    const misplaced: string[] = []
    for (const hash of wanted) {
      const list = locations.get(hash) ?? []
      if (list.length !== 1) { notOnce.push(`${hash} x${list.length}`); continue }
      for (const { m, committed } of waited) {
        const s: TxStatusReply | undefined = committed.get(hash)
        if (s !== undefined && (s.height !== list[0]!.height || s.index !== list[0]!.index)) {
          misplaced.push(`node-${m.index} ${hash}: status ${s.height}/${s.index}, chain ${list[0]!.height}/${list[0]!.index}`)
        }
      }
    }
    t.same(notOnce, [], `${label}: each of the ${wanted.length} acknowledged txs is counted exactly once in heights 0..${height}`)
    t.same(misplaced, [], `${label}: every node's committed status names the height and index where the tx is counted`)

    // Slices of both rollups at a few heights, from every member.
    const sample = [...new Set([0, Math.floor(height / 2), height])]
    const sliceProblems: string[] = []
    for (const m of members) {
      for (const h of sample) {
        for (const rollupId of [1, 2]) {
          const slice = decode(SliceSchema, await getMsgpack(m.url, `/v1/rollups/${rollupId}/slices/${h}`))
          const check = verifySlice(this.committee, slice, this.#deps)
          if (!check.ok) sliceProblems.push(`node-${m.index} slice ${rollupId}@${h}: ${check.reason}`)
          else if (!equalBytes(encode(BatchHeaderSchema, slice.header), encode(BatchHeaderSchema, reference.batches.get(h)!.header))) sliceProblems.push(`node-${m.index} slice ${rollupId}@${h}: header differs from the batch`)
        }
      }
    }
    t.same(sliceProblems, [], `${label}: slices of rollups 1 and 2 at heights ${sample.join(', ')} verify on every node`)
    return { height, locations }
  }
}
