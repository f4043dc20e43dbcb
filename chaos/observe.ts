/**
 * Reads, after the drain, what check.ts judges, from each member's public API only:
 * every final batch (`GET /v1/blocks/:h`, msgpack) hashed and linked, the counted txs of
 * each height (validateBatch on one member's batches), each acknowledged tx's status
 * (SDK `txStatus`) on every member, the in-process rollups' state roots, and a sample of
 * slices per member verified by the SDK against the genesis committee (finality proofs).
 */
import { batchHash, nodeNmt, validateBatch } from '../src/batch/index.js'
import { SequencerClient, committeeFromGenesis, type Committee } from '../src/client/index.js'
import { BatchSchema, decode, type Batch } from '../src/codec/index.js'
import { bytesToHex, equalBytes, sha256, verifyEd25519 } from '../src/crypto/index.js'
import { txHash } from '../src/batch/index.js'
import { mapConcurrent } from '../test/helpers/node-process.js'
import type { NodeObservation, ObservedTxStatus, Observation, RollupStateView } from './check.js'

export interface ObserveInput {
  members: Array<{ index: number, url: string }>
  genesis: unknown
  acknowledged: readonly string[]
  /** heights per member whose slices (every rollup) are verified */
  sliceSamples?: number
}

const READ_CONCURRENCY = 8

export async function observeCommittee (input: ObserveInput): Promise<Observation> {
  const committee = committeeFromGenesis(input.genesis)
  const nodes: NodeObservation[] = []
  let countedTxs: string[][] = []
  for (const [i, m] of input.members.entries()) {
    const client = new SequencerClient({ url: m.url, committee, requestTimeoutMs: 10_000 })
    const node: NodeObservation = { index: m.index, height: -1, batchHashes: [], batchDigests: [], txStatus: new Map(), stateRoots: null, readProblems: [] }
    nodes.push(node)
    let rollupIds: number[]
    try {
      const status = await client.status()
      node.height = status.height
      rollupIds = status.rollups.map((r) => r.id)
    } catch {
      continue
    }
    const chain = await readChain(m.url, node, committee, i === 0)
    if (i === 0) countedTxs = chain
    await mapConcurrent(input.acknowledged, 16, async (hash) => {
      node.txStatus.set(hash, await txStatusOf(client, hash))
    })
    node.stateRoots = await rollupStates(m.url)
    await verifySliceSample(client, node, rollupIds, input.sliceSamples ?? 40)
  }
  return { acknowledged: input.acknowledged, countedTxs, nodes }
}

/**
 * Heights 0..node.height: hashes, content digests, hash links; with `count`, also each
 * batch's validity and counted txs (the same on every member when the digests agree).
 */
async function readChain (url: string, node: NodeObservation, committee: Committee, count: boolean): Promise<string[][]> {
  const heights = Array.from({ length: node.height + 1 }, (_, h) => h)
  const batches = new Array<Batch | null>(heights.length).fill(null)
  await mapConcurrent(heights, READ_CONCURRENCY, async (h) => {
    try {
      const res = await fetch(`${url}/v1/blocks/${h}`, { headers: { accept: 'application/msgpack' }, signal: AbortSignal.timeout(10_000) })
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
      const bytes = new Uint8Array(await res.arrayBuffer())
      const batch = decode(BatchSchema, bytes)
      node.batchHashes[h] = bytesToHex(batchHash(batch.header))
      node.batchDigests[h] = bytesToHex(sha256(bytes))
      if (count) batches[h] = batch
    } catch (err) {
      node.readProblems.push(`batch ${h}: ${(err as Error).message}`)
    }
  })
  const counted: string[][] = []
  const seen = new Set<string>()
  let parent: Batch | null = null
  for (const h of heights) {
    const batch = batches[h]
    if (!count || batch === undefined || batch === null) break
    if (batch.header.height !== h) node.readProblems.push(`batch ${h} says height ${batch.header.height}`)
    if (parent !== null && !equalBytes(batch.header.parentHash, batchHash(parent.header))) node.readProblems.push(`batch ${h} does not link to batch ${h - 1}`)
    parent = batch
    const check = validateBatch(committee, batch, { nmt: nodeNmt, verifySignature: verifyEd25519, txHash }, (hex) => seen.has(hex))
    if (!check.ok) { node.readProblems.push(`batch ${h} invalid: ${check.reason}`); counted.push([]); continue }
    const hashes = check.counted.map((c) => bytesToHex(c.hash))
    for (const hash of hashes) seen.add(hash)
    counted.push(hashes)
  }
  return counted
}

async function txStatusOf (client: SequencerClient, hash: string): Promise<ObservedTxStatus> {
  try {
    const s = await client.txStatus(hash)
    if (s === null) return { status: 'unknown' }
    if (s.status === 'committed') return { status: 'committed', height: s.height, index: s.index }
    if (s.status === 'rejected') return { status: 'rejected', code: s.code }
    // chaos asks members only; a follower's 'relayed' means the same as pending here
    return { status: s.status === 'relayed' ? 'pending' : s.status }
  } catch {
    return { status: 'unreachable' }
  }
}

async function rollupStates (url: string): Promise<RollupStateView[] | null> {
  try {
    const res = await fetch(`${url}/v1/rollups/state`, { signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) return null
    const states = await res.json() as RollupStateView[]
    return states.map((s) => ({ rollupId: s.rollupId, height: s.height, stateRoot: s.stateRoot })).sort((a, b) => a.rollupId - b.rollupId)
  } catch {
    return null
  }
}

/** Slices of evenly spread heights (the last included) verify and name the batch the member serves there. */
async function verifySliceSample (client: SequencerClient, node: NodeObservation, rollupIds: number[], samples: number): Promise<void> {
  if (node.height < 0) return
  const heights = [...new Set(Array.from({ length: samples }, (_, i) => Math.round(node.height * i / Math.max(1, samples - 1))))]
  for (const h of heights) {
    for (const rollupId of rollupIds) {
      try {
        const slice = await client.getSlice(rollupId, h)
        if (slice.batchHash !== node.batchHashes[h]) node.readProblems.push(`slice ${rollupId}@${h} names batch ${slice.batchHash.slice(0, 12)}, the batch served is ${node.batchHashes[h]?.slice(0, 12)}`)
      } catch (err) {
        node.readProblems.push(`slice ${rollupId}@${h} does not verify: ${(err as Error).message}`)
      }
    }
  }
}
