/**
 * ChunkPacker pacing: a quiet member packs at once; while its previous chunk is in no
 * proposal yet it holds, and packs everything waiting when that chunk is proposed, when
 * `packAtTxs` txs wait, or after `maxChunkDelayMs`. No timing assertions beyond "eventually".
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { Ed25519Signer, generateKeyPair, sha256 } from '../../src/crypto/index.js'
import { Mempool, defaultMempoolOptions } from '../../src/mempool/index.js'
import { ChunkPacker, defaultChunkPackerOptions, type ChunkPackerOptions, type PackedChunk } from '../../src/ordering/chunk-packer.js'
import { ChainStore } from '../../src/store/index.js'
import { clusterGenesis } from '../helpers/cluster.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { makeTx } from '../helpers/txs.js'

async function packerOn (t: Test, options: Partial<ChunkPackerOptions>, handOver?: () => Promise<void>): Promise<{ mempool: Mempool, packed: PackedChunk[], packer: ChunkPacker }> {
  const tmp = await makeTempDir()
  const store = await ChainStore.open(join(tmp.dir, 'store'), sha256(new TextEncoder().encode('packer test')))
  const mempool = new Mempool(clusterGenesis, store, defaultMempoolOptions)
  const packed: PackedChunk[] = []
  const packer = new ChunkPacker({
    chainId: clusterGenesis.chainId,
    self: 0,
    signer: new Ed25519Signer(generateKeyPair().seed),
    mempool,
    now: Date.now,
    onPacked: async (p) => { packed.push(p); await handOver?.() },
    onError: (err) => { t.fail(err.message) }
  }, { ...defaultChunkPackerOptions, ...options })
  packer.start()
  t.teardown(async () => { await packer.stop(); await store.close(); await tmp.remove() })
  return { mempool, packed, packer }
}

async function until (what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

const txCount = (packed: PackedChunk[]): number => packed.reduce((n, p) => n + p.chunk.txs.length, 0)

t.test('a quiet member packs its first tx at once; later txs wait for the previous chunk to be proposed, then share one chunk', async (t) => {
  const { mempool, packed, packer } = await packerOn(t, { maxChunkDelayMs: 60_000, packAtTxs: 10_000 })
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  await until('the first chunk', () => packed.length === 1)
  for (let i = 0; i < 30; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  // a hold check after the last admission decided with all 30 in view, and held them
  const checks = packer.holdChecks
  await until('the packer to hold the 30 txs', () => packer.holdChecks >= checks + 2)
  t.equal(packed.length, 1, 'nothing packed while the first chunk is in no proposal')
  t.equal(mempool.waiting, 30, 'the 30 txs still wait')
  mempool.markProposed(packed[0]!.entries.map((e) => e.hashHex), 0)
  await until('the second chunk', () => txCount(packed) === 31)
  t.equal(packed.length, 2, 'the 30 waiting txs went out in one chunk')
  t.equal(packed[1]!.chunk.txs.length, 30)
})

t.test('packs without a proposal once packAtTxs txs wait', async (t) => {
  const { mempool, packed } = await packerOn(t, { maxChunkDelayMs: 60_000, packAtTxs: 20 })
  await mempool.admit(makeTx({ rollups: [2] }).bytes)
  await until('the first chunk', () => packed.length === 1)
  for (let i = 0; i < 25; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  await until('a chunk of the size threshold', () => packed.length >= 2)
  t.ok(packed[1]!.chunk.txs.length >= 20, `second chunk holds ${packed[1]!.chunk.txs.length} txs (threshold 20)`)
})

t.test('packs without a proposal after maxChunkDelayMs', async (t) => {
  const { mempool, packed } = await packerOn(t, { maxChunkDelayMs: 30, packAtTxs: 10_000 })
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  await until('the first chunk', () => packed.length === 1)
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  await until('the held tx, after the delay bound', () => packed.length === 2)
  t.equal(txCount(packed), 2)
})

t.test('a proposal due packs what waits at once, without the hold', async (t) => {
  const { mempool, packed, packer } = await packerOn(t, { maxChunkDelayMs: 60_000, packAtTxs: 10_000 })
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  await until('the first chunk', () => packed.length === 1)
  for (let i = 0; i < 5; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  const checks = packer.holdChecks
  await until('the packer to hold the 5 txs', () => packer.holdChecks >= checks + 2)
  t.equal(packed.length, 1, 'held while the first chunk is in no proposal')
  await packer.packDue()
  t.equal(txCount(packed), 6, 'packDue resolved with the 5 waiting txs packed')
  await packer.packDue()
  t.equal(packed.length, 2, 'nothing waiting: nothing packed')
})

t.test('a proposal due does not wait behind a pack whose chunk waits for room in the chunk queues', async (t) => {
  // The network takes no chunk until released: the loop's pack hangs in onPacked (publish).
  const gates: Array<() => void> = []
  const { mempool, packed, packer } = await packerOn(t, { maxChunkDelayMs: 0, packAtTxs: 1 }, async () => { await new Promise<void>((resolve) => gates.push(resolve)) })
  t.teardown(() => { for (const open of gates.splice(0)) open() })
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  await until('the first chunk handed to the network', () => gates.length === 1)
  for (let i = 0; i < 5; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    packer.packDue().then(() => 'returned'),
    new Promise<string>((resolve) => { timer = setTimeout(() => resolve('waited behind the stuck pack'), 10_000) })
  ])
  clearTimeout(timer)
  t.equal(outcome, 'returned', 'the proposal goes out with what the members have')
  t.equal(packed.length, 1, 'nothing packed for it while the links are full')
  for (const open of gates.splice(0)) open()
  await until('the 5 txs packed once the network took the first chunk', () => { for (const open of gates.splice(0)) open(); return txCount(packed) === 6 })
})
