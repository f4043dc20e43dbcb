/**
 * Audit #13 item 1: a Byzantine member puts a tx in a victim's name into its own chunk.
 * The chunk passes every member's check and the tx is ordered, but the in-node slice
 * source leaves the leaf out (its sender proof fails), counts it, and the kv rollup
 * neither overwrites the victim's key nor grants a new key to the victim.
 */
import t from 'tap'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { buildSlice, nodeNmt } from '../../src/batch/index.js'
import { decode, SliceLeafSchema, type BatchHeader, type Chunk, type SliceLeaf } from '../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import {
  KvReceiptCode, KvRollup, NodeSliceSource, createRollupMetrics, encodeKvSet, type FinalSliceProvider
} from '../../src/rollup-adapters/index.js'
import { forgedTx, memberChunk, orderedPayload } from '../helpers/forged.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const CHAIN = 'forge-chain'
const KV = 4
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const signer = (): Ed25519Signer => new Ed25519Signer(generateKeyPair().seed)

t.test('a member cannot set or claim kv keys in a victim\'s name', async (t) => {
  const members = [signer(), signer(), signer(), signer()]
  const committeeKeys = members.map((m) => m.publicKey)
  const victim = signer()
  const byzantine = members[2]!
  const expiry = Date.now() + 600_000
  const set = (key: string, value: string): { rollupId: number, payload: Uint8Array } => ({ rollupId: KV, payload: encodeKvSet(bytes(key), bytes(value)) })

  // Height 0: the victim's own tx (admitted by an honest member) sets 'k'.
  const honest = signTx(CHAIN, { actions: [set('k', 'mine')], nonce: 1, expiry }, victim)
  // Height 1: the Byzantine member's chunk overwrites 'k' and claims 'fresh' as the victim,
  // with a signature that is not the victim's; a bundle does the same from its second action.
  const overwrite = forgedTx(CHAIN, victim.publicKey, byzantine, [set('k', 'stolen')], 2, expiry)
  const claim = forgedTx(CHAIN, victim.publicKey, byzantine, [set('fresh', 'stolen')], 3, expiry)
  const bundle = forgedTx(CHAIN, victim.publicKey, byzantine, [{ rollupId: KV + 1, payload: bytes('x') }, set('k', 'stolen-2')], 4, expiry)
  const chunks: Chunk[][] = [
    [memberChunk(CHAIN, members[0]!, 0, KV, [honest])],
    [memberChunk(CHAIN, byzantine, 2, KV, [overwrite, claim, bundle])]
  ]

  const slices = chunks.map((heightChunks, height) => {
    const payload = orderedPayload(CHAIN, committeeKeys, [KV, KV + 1], heightChunks, Date.now())
    t.equal(payload.counted.length, heightChunks[0]!.txs.length, `height ${height}: every tx of the chunk is ordered`)
    const header: BatchHeader = {
      version: 1, chainId: CHAIN, height, round: height + 1, parentHash: new Uint8Array(32), proposer: 0, timestamp: Date.now(),
      payloadRoot: payload.payloadRoot, namespaces: payload.namespaces, chunkDigests: [], txCount: payload.counted.length
    }
    const finality = { version: 1 as const, headers: [header], certificate: { version: 1 as const, height, round: height + 1, batchHash: new Uint8Array(32), signers: new Uint8Array(1), signatures: [] } }
    const slice = buildSlice(nodeNmt, header, finality, payload.leaves, KV)
    const leaves: SliceLeaf[] = slice.leaves.map((l) => decode(SliceLeafSchema, l.subarray(8)))
    return { slice, leaves }
  })
  t.equal(slices[1]!.leaves.length, 3, 'the forged actions are in the final slice')
  t.ok(slices[1]!.leaves.every((l) => Buffer.from(l.sender).equals(Buffer.from(victim.publicKey))), 'each names the victim as sender')

  const provider: FinalSliceProvider = {
    finalHeight: () => slices.length - 1,
    getSlice: async (_rollupId, height) => slices[height] ?? null,
    onFinal: () => () => {}
  }
  const registry = new Registry()
  const metrics = createRollupMetrics(registry)
  const source = new NodeSliceSource(provider, KV, {}, metrics)
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const kv = new KvRollup({ rollupId: KV, dir: join(tmp.dir, 'kv'), chainId: CHAIN })
  await kv.open()
  t.teardown(() => kv.close())

  for (let height = 0; height < slices.length; height++) await kv.executeSlice(await source.next(height, new AbortController().signal))

  t.same(kv.lookup(bytes('k'))?.value, bytes('mine'), "the victim's key keeps the victim's value")
  t.equal(kv.lookup(bytes('fresh')), undefined, 'no key was granted to the victim by the forger')
  t.same((await kv.receipts(0))!.map((r) => r.code), [KvReceiptCode.OK], "the victim's own tx executed")
  t.same(await kv.receipts(1), [], 'the forged leaves were not executed at all')
  const skipped = await registry.getSingleMetric('seq_rollup_actions_skipped_total')!.get()
  t.same(skipped.values.map((v) => [v.labels, v.value]), [[{ rollup: String(KV), reason: 'SENDER_BAD_SIGNATURE' }, 3]], 'and counted, by reason')
})
