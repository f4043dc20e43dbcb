/**
 * Checks the records of a ChainStore against each other and against the chain's rules,
 * so that a damaged data folder is refused instead of served. Two depths:
 * - at every start, the last `recentHeights` heights, the head and the meta records
 *   (bounded work, independent of the chain's length);
 * - `seqnode check` (full): every height from 0, every key of the database read once
 *   (which surfaces LevelDB table damage anywhere), index counts, WAL and pending blocks.
 * Every finding is a StoreCorruptError naming the folder and the first problem found.
 * The chain's rules (hashing, batch validation, commit proofs) come in as `ChainRules`
 * so that the store does not depend on consensus (src/node/data-check.ts builds them).
 */
import { decode, BlockBundleSchema, SafetyStateSchema, type Batch, type BatchHeader, type CommitProof, type SliceLeaf } from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/index.js'
import type { ChainStore } from './chain-store.js'
import { Prefix } from './keys.js'

export type RuleCheck = { ok: true } | { ok: false, reason: string }

export interface ChainRules {
  batchHash: (header: BatchHeader) => Uint8Array
  /** hashes of every tx of the batch's chunks, in chunk order */
  txHashes: (batch: Batch) => Uint8Array[]
  /** full validation of the body against the header; the counted txs' hashes in order */
  validateBatch: (batch: Batch, seenBefore: (hashHex: string) => boolean) => { ok: true, counted: Uint8Array[], leaves?: Uint8Array[], sliceLeaves?: SliceLeaf[] } | { ok: false, reason: string }
  verifyCommitProof: (header: BatchHeader, hash: Uint8Array, proof: CommitProof) => RuleCheck
  /** hash of an encoded tx (throws if it does not decode) */
  txHashOfBytes: (txBytes: Uint8Array) => Uint8Array
}

export interface IntegrityOptions {
  /** check only this many heights below the head (at start); undefined checks all of them */
  recentHeights?: number
}

/** At start: enough heights to cover a crash's last writes and the blocks the driver reloads. */
export const defaultStartCheckHeights = 32 // ~32 batch reads and proof checks: tens of ms

export interface IntegrityReport {
  head: number
  fromHeight: number
  heightsChecked: number
  countedTxs: number
  full: boolean
  /** full check only: WAL entries, and those whose tx is already final (recovery drops them) */
  walEntries: number
  walAlreadyFinal: number
  pendingBlocks: number
}

const ZERO_HASH = new Uint8Array(32)
const KNOWN_PREFIXES = new Set<number>(Object.values(Prefix))

export async function checkStoreIntegrity (store: ChainStore, rules: ChainRules, options: IntegrityOptions = {}): Promise<IntegrityReport> {
  const full = options.recentHeights === undefined
  const head = store.head()
  const headHeight = head?.height ?? -1
  const fromHeight = full ? 0 : Math.max(0, headHeight - options.recentHeights! + 1)
  const report: IntegrityReport = { head: headHeight, fromHeight, heightsChecked: 0, countedTxs: 0, full, walEntries: 0, walAlreadyFinal: 0, pendingBlocks: 0 }

  const safety = await store.getSafetyState()
  if (safety !== null) decodeOrCorrupt(store, () => decode(SafetyStateSchema, safety), 'the consensus safety state')

  let rollupEntries = 0
  let previousHash: Uint8Array | null = fromHeight === 0 ? ZERO_HASH : null
  for (let h = fromHeight; h <= headHeight; h++) {
    const { hash, counted, namespaces } = await checkHeight(store, rules, h, previousHash)
    previousHash = hash
    report.heightsChecked++
    report.countedTxs += counted
    rollupEntries += namespaces
  }
  if (head !== null && !equalBytes(previousHash!, head.hash)) throw store.corrupt(`the head record names batch ${bytesToHex(head.hash)} but batch ${headHeight} hashes to ${bytesToHex(previousHash!)}`)
  // Writes are atomic: nothing can be stored above the head.
  if (await store.getBatchBytes(headHeight + 1) !== null || await store.getCommitProofBytes(headHeight + 1) !== null) {
    throw store.corrupt(`a batch is stored at height ${headHeight + 1}, above the head`)
  }
  if (!full) return report

  const counts = await store.countKeysByPrefix()
  for (const prefix of counts.keys()) if (!KNOWN_PREFIXES.has(prefix)) throw store.corrupt(`the database holds keys with the unknown prefix 0x${prefix.toString(16)}`)
  const expect = (prefix: number, expected: number, what: string): void => {
    const actual = counts.get(prefix) ?? 0
    if (actual !== expected) throw store.corrupt(`${actual} ${what} entries for ${expected} expected from the batches`)
  }
  expect(Prefix.batch, headHeight + 1, 'batch')
  expect(Prefix.commitProof, headHeight + 1, 'commit proof')
  expect(Prefix.batchHeightByHash, headHeight + 1, 'batch hash index')
  expect(Prefix.txLocation, report.countedTxs, 'tx location')
  expect(Prefix.rollupHeight, rollupEntries, 'rollup index')

  for (const { hash, bytes } of await store.walEntries()) {
    report.walEntries++
    if (bytes.length < 8) throw store.corrupt(`WAL entry ${bytesToHex(hash)} is ${bytes.length} bytes`)
    const actual = decodeOrCorrupt(store, () => rules.txHashOfBytes(bytes.subarray(8)), `WAL entry ${bytesToHex(hash)}`)
    if (!equalBytes(actual, hash)) throw store.corrupt(`WAL entry ${bytesToHex(hash)} holds tx ${bytesToHex(actual)}`)
    // Not corruption: an admission whose WAL write landed after another member's chunk made the tx final.
    if (await store.txLocation(hash) !== null) report.walAlreadyFinal++
  }
  for (const { hash, bytes } of await store.pendingBlocks()) {
    report.pendingBlocks++
    const bundle = decodeOrCorrupt(store, () => decode(BlockBundleSchema, bytes), `pending block ${bytesToHex(hash)}`)
    if (!equalBytes(rules.batchHash(bundle.header), hash)) throw store.corrupt(`pending block ${bytesToHex(hash)} holds another block`)
  }
  return report
}

/**
 * One height: the batch (self-consistency and hash index are checked by getBatch), its
 * link to the parent, its commit proof, its body, and its tx and rollup index entries.
 */
async function checkHeight (store: ChainStore, rules: ChainRules, h: number, previousHash: Uint8Array | null): Promise<{ hash: Uint8Array, counted: number, namespaces: number }> {
  const batch = await store.getBatch(h)
  const proof = await store.getCommitProof(h)
  if (batch === null || proof === null) throw store.corrupt(`batch ${h} or its commit proof is missing below the head`)
  const { header } = batch
  const hash = rules.batchHash(header)
  if (previousHash !== null) {
    if (!equalBytes(header.parentHash, previousHash)) throw store.corrupt(`batch ${h} does not link to batch ${h - 1} (broken hash chain)`)
  } else if (await store.heightOfBatch(header.parentHash) !== h - 1) {
    throw store.corrupt(`the parent of batch ${h} is not indexed at height ${h - 1} (broken hash chain)`)
  }
  const proofCheck = rules.verifyCommitProof(header, hash, proof)
  if (!proofCheck.ok) throw store.corrupt(`the commit proof of batch ${h} does not verify: ${proofCheck.reason}`)

  const all = rules.txHashes(batch)
  const locations = await store.txLocations(all)
  const lowerHexes = new Set<string>()
  locations.forEach((loc, i) => { if (loc !== null && loc.height < h) lowerHexes.add(bytesToHex(all[i]!)) })
  const check = rules.validateBatch(batch, (hex) => lowerHexes.has(hex))
  if (!check.ok) throw store.corrupt(`batch ${h} is invalid: ${check.reason}`)
  const position = new Map(check.counted.map((c, i) => [bytesToHex(c), i]))
  for (const [i, loc] of locations.entries()) {
    const hex = bytesToHex(all[i]!)
    const expected = position.get(hex)
    const agrees = expected === undefined ? loc !== null && loc.height < h : loc !== null && loc.height === h && loc.index === expected
    if (!agrees) throw store.corrupt(`the tx index says ${loc === null ? 'nothing' : `${loc.height}/${loc.index}`} for tx ${hex} of batch ${h}${expected === undefined ? '' : ` (position ${expected})`}`)
  }
  for (const ns of header.namespaces) {
    const count = await store.rollupCountAt(ns.rollupId, h)
    if (count !== ns.count) throw store.corrupt(`the rollup index says ${count} actions of rollup ${ns.rollupId} at height ${h}, the batch has ${ns.count}`)
  }
  return { hash, counted: check.counted.length, namespaces: header.namespaces.length }
}

function decodeOrCorrupt<T> (store: ChainStore, fn: () => T, what: string): T {
  try {
    return fn()
  } catch (err) {
    throw store.corrupt(`${what} does not decode: ${(err as Error).message}`)
  }
}

