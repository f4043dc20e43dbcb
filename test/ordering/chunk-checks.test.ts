/**
 * The per-chunk rules every member applies to a chunk it receives (`checkChunk`, each
 * refusal a code), and the leader's chunk selection (`ChunkPool.select`: lanes in turn,
 * oldest first within a lane, within the limits). Expected codes and orders are written
 * out by hand.
 */
import t from 'tap'
import { chunkSigningMessage } from '../../src/batch/index.js'
import { ChunkSchema, encode, type Chunk } from '../../src/codec/index.js'
import { sha256 } from '../../src/crypto/index.js'
import { checkChunk, chunkSigningMessageOfBytes } from '../../src/ordering/block-payload.js'
import { ChunkPool } from '../../src/ordering/chunk-pool.js'
import { txHash } from '../../src/batch/index.js'
import { CHAIN, committeeKeys, signers } from './consensus-fixtures.js'
import { memberChunk } from '../helpers/forged.js'
import { makeTx } from '../helpers/txs.js'

const rules = { chainId: CHAIN, committeeKeys, rollupIds: new Set([1, 2]), maxActionsPerTx: 2, maxPayloadBytes: 64, maxTxsPerChunk: 3 }
const tx = (rollups = [1], payloadBytes = 8): ReturnType<typeof makeTx>['tx'] => makeTx({ chainId: CHAIN, rollups, payloadBytes }).tx
const codeOf = (chunk: Chunk | Uint8Array): string => {
  const check = checkChunk(rules, chunk instanceof Uint8Array ? chunk : encode(ChunkSchema, chunk), 1 << 20)
  return check.ok ? 'ok' : check.code
}

t.test('checkChunk: a good chunk, and each rule refusing with its code', async (t) => {
  const good = memberChunk(CHAIN, signers[1]!, 1, 1, [tx(), tx([1, 2])])
  const check = checkChunk(rules, encode(ChunkSchema, good), 1 << 20)
  t.ok(check.ok)
  if (check.ok) {
    t.same(check.digest, sha256(chunkSigningMessage(CHAIN, good)), 'the digest is the hash of the signed message')
    t.same(check.txs.map((entry) => entry.hash), good.txs.map((x) => txHash(CHAIN, x)), 'the tx hashes, in order')
  }
  t.equal(codeOf(Uint8Array.of(0x93, 1, 2)), 'CHUNK_MALFORMED')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 7, 1, [tx()])), 'CHUNK_UNKNOWN_ORIGIN')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 1, 3, [tx([3])])), 'CHUNK_UNKNOWN_LANE')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 1, 1, [tx(), tx(), tx(), tx()])), 'CHUNK_TOO_MANY_TXS')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 1, 1, [tx([1, 2, 1])])), 'CHUNK_TOO_MANY_ACTIONS')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 1, 1, [tx([1, 9])])), 'CHUNK_UNKNOWN_ROLLUP')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 1, 1, [tx([1], 65)])), 'CHUNK_PAYLOAD_TOO_LARGE')
  t.equal(codeOf(memberChunk(CHAIN, signers[1]!, 1, 1, [tx([1], 64)])), 'ok', 'a payload exactly at the limit')
  t.equal(codeOf(memberChunk(CHAIN, signers[2]!, 1, 1, [tx()])), 'CHUNK_BAD_SIGNATURE', 'signed by another member than its origin')
  t.equal(codeOf(memberChunk('other-chain', signers[1]!, 1, 1, [tx()])), 'CHUNK_BAD_SIGNATURE', 'signed for another chain')
})

t.test('the signing message of a chunk taken from its bytes is the one its body encodes to', async (t) => {
  // 1 and 20 txs: a fixarray and an array16 txs list; a large seq and lane: multi-byte integers inside the body
  for (const [txs, seq] of [[1, 0], [20, 70_000], [3, 2 ** 40]] as const) {
    const chunk = memberChunk(CHAIN, signers[1]!, 1, 1, Array.from({ length: txs }, () => tx()), seq)
    t.same(chunkSigningMessageOfBytes(CHAIN, encode(ChunkSchema, chunk)), chunkSigningMessage(CHAIN, chunk), `${txs} txs, seq ${seq}`)
  }
})

t.test('ChunkPool.select: lanes in turn, oldest first in a lane, within the limits', async (t) => {
  const pool = new ChunkPool()
  // name -> [lane, txs]; added in this order (arrival order)
  const plan: Array<[string, number, number]> = [['a1', 2, 1], ['b1', 1, 2], ['a2', 2, 1], ['a3', 2, 1], ['b2', 1, 1], ['c1', 5, 3]]
  const names = new Map<string, string>()
  plan.forEach(([name, lane, txs], seq) => {
    const chunk = memberChunk(CHAIN, signers[0]!, 0, lane, Array.from({ length: txs }, () => tx()), seq)
    const digest = sha256(chunkSigningMessage(CHAIN, chunk))
    names.set(Buffer.from(digest).toString('hex'), name)
    t.ok(pool.add(chunk, digest, 100))
  })
  const pick = (excluded: Set<string>, limits: { maxTxs: number, maxBytes: number, maxChunks: number }): string[] =>
    pool.select(excluded, limits).map((p) => names.get(p.digestHex)!)
  const wide = { maxTxs: 1000, maxBytes: 1 << 20, maxChunks: 100 }
  // rounds over lanes 1, 2, 5 (ascending): b1 a1 c1 | b2 a2 | a3
  t.same(pick(new Set(), wide), ['b1', 'a1', 'c1', 'b2', 'a2', 'a3'])
  t.same(pick(new Set(), { ...wide, maxChunks: 4 }), ['b1', 'a1', 'c1', 'b2'], 'stops at maxChunks')
  // b1 (2) + a1 (1) = 3 txs; c1 (3) does not fit 4 and closes lane 5; b2 (1) fits; a2 would make 5
  t.same(pick(new Set(), { ...wide, maxTxs: 4 }), ['b1', 'a1', 'b2'], 'a lane whose next chunk does not fit is closed')
  t.same(pick(new Set(), { ...wide, maxBytes: 250 }), ['b1', 'a1'], '100 bytes a chunk')
  const b1 = [...names].find(([, n]) => n === 'b1')![0]
  t.same(pick(new Set([b1]), wide), ['b2', 'a1', 'c1', 'a2', 'a3'], 'chunks already in the chain are skipped')
  const tight = new ChunkPool({ maxChunksPerOrigin: 1, maxBytesPerOrigin: 1 << 20 })
  t.ok(tight.add(memberChunk(CHAIN, signers[0]!, 0, 1, [tx()], 1), new Uint8Array(32).fill(1), 10))
  t.notOk(tight.add(memberChunk(CHAIN, signers[0]!, 0, 1, [tx()], 2), new Uint8Array(32).fill(2), 10), 'an origin over its bound is refused')
  t.ok(tight.add(memberChunk(CHAIN, signers[1]!, 1, 1, [tx()], 1), new Uint8Array(32).fill(3), 10), 'another origin is not')
})

t.test('ChunkPool.select: maxActions bounds a proposal\'s actions, but a first chunk over it still goes', async (t) => {
  const pool = new ChunkPool()
  // lane 1: three chunks of 2 txs x 2 actions (4 actions each)
  for (let seq = 0; seq < 3; seq++) {
    const chunk = memberChunk(CHAIN, signers[0]!, 0, 1, [tx([1, 2]), tx([1, 2])], seq)
    t.ok(pool.add(chunk, sha256(chunkSigningMessage(CHAIN, chunk)), 100))
  }
  const wide = { maxTxs: 1000, maxBytes: 1 << 20, maxChunks: 100 }
  t.equal(pool.select(new Set(), wide).length, 3, 'no action bound: all three')
  t.equal(pool.select(new Set(), { ...wide, maxActions: 8 }).length, 2, '8 actions: two chunks of 4')
  t.equal(pool.select(new Set(), { ...wide, maxActions: 11 }).length, 2, 'a third would make 12')
  t.same(pool.select(new Set(), { ...wide, maxActions: 3 }).map((p) => p.actions), [4], 'a first chunk above the bound goes alone, so its lane never stalls')
})

t.test('checkChunk: a copy of a held chunk is ignored before it is decoded or hashed again', async (t) => {
  const good = memberChunk(CHAIN, signers[1]!, 1, 1, [tx(), tx([1, 2])])
  const bytes = encode(ChunkSchema, good)
  const digestHex = Buffer.from(sha256(chunkSigningMessage(CHAIN, good))).toString('hex')
  const held = new Set<string>()
  const first = checkChunk(rules, bytes, 1 << 20, (hex) => held.has(hex))
  t.ok(first.ok, 'a new chunk is checked in full')
  held.add(digestHex)
  const again = checkChunk(rules, bytes, 1 << 20, (hex) => held.has(hex))
  t.same(again, { ok: false, verdict: 'ignore', code: 'CHUNK_KNOWN' }, 'the copy is known by its digest')
  const forged = Uint8Array.from(bytes)
  forged[forged.length - 1]! ^= 1
  t.equal((checkChunk(rules, forged, 1 << 20, (hex) => held.has(hex)) as { code?: string }).code, 'CHUNK_KNOWN', 'another signature over the same body is not kept either')
  const other = memberChunk(CHAIN, signers[1]!, 1, 1, [tx()])
  t.ok(checkChunk(rules, encode(ChunkSchema, other), 1 << 20, (hex) => held.has(hex)).ok, 'another chunk is checked in full')
  t.equal((checkChunk(rules, bytes, bytes.length - 1, (hex) => held.has(hex)) as { code?: string }).code, 'CHUNK_MALFORMED', 'the size bound still comes first')
})
