import t from 'tap'
import { join } from 'node:path'
import { Level } from 'level'
import { ChainStore, StoreErrorCode } from '../../src/store/index.js'
import { sha256, equalBytes } from '../../src/crypto/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTempDir } from '../helpers/solo-chain.js'

const genesisA = sha256(new Uint8Array([1]))
const genesisB = sha256(new Uint8Array([2]))
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

function record (height: number) {
  return {
    height,
    hash: sha256(new Uint8Array([height])),
    batchBytes: bytes(100, height),
    certificateBytes: bytes(50, height + 1),
    txHashes: [sha256(new Uint8Array([height, 1])), sha256(new Uint8Array([height, 2]))],
    rollupCounts: [{ rollupId: 1, count: 2 }, ...(height % 2 === 0 ? [{ rollupId: 2, count: 1 }] : [])]
  }
}

t.test('a reopened store gives back exactly what was committed', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const path = join(tmp.dir, 'db')
  const store = await ChainStore.open(path, genesisA)
  t.equal(store.head(), null)
  const tx = sha256(new Uint8Array([0, 1]))
  await store.walAppend([{ hash: tx, bytes: bytes(10, 7) }, { hash: sha256(new Uint8Array([9])), bytes: bytes(10, 9) }])
  for (let h = 0; h < 5; h++) await store.putFinalBatch(record(h))
  await store.putSafetyState(bytes(8, 3))
  await store.close()
  await store.close() // safe twice

  const again = await ChainStore.open(path, genesisA)
  t.teardown(() => again.close())
  t.equal(again.head()?.height, 4)
  t.ok(equalBytes(again.head()!.hash, record(4).hash))
  for (let h = 0; h < 5; h++) {
    t.ok(equalBytes((await again.getBatchBytes(h))!, record(h).batchBytes), `batch ${h}`)
    t.equal(await again.heightOfBatch(record(h).hash), h)
  }
  t.same(await again.txLocation(record(3).txHashes[1]!), { height: 3, index: 1 })
  t.equal(await again.txLocation(sha256(new Uint8Array([42]))), null)
  t.equal(await again.latestRollupHeight(1), 4)
  t.equal(await again.latestRollupHeight(2), 4)
  t.equal(await again.latestRollupHeight(3), -1)
  const wal = await again.walEntries()
  t.equal(wal.length, 1, 'the WAL entry of a final tx went with the batch that made it final')
  t.ok(equalBytes((await again.getSafetyState())!, bytes(8, 3)))
})

t.test('heights must be contiguous', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const store = await ChainStore.open(join(tmp.dir, 'db'), genesisA)
  t.teardown(() => store.close())
  await rejectsWithCode(t, store.putFinalBatch(record(1)), StoreErrorCode.NOT_CONTIGUOUS)
  await store.putFinalBatch(record(0))
  await rejectsWithCode(t, store.putFinalBatch(record(0)), StoreErrorCode.NOT_CONTIGUOUS)
})

t.test('a data folder of another genesis is refused', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const path = join(tmp.dir, 'db')
  await (await ChainStore.open(path, genesisA)).close()
  await rejectsWithCode(t, ChainStore.open(path, genesisB), StoreErrorCode.WRONG_GENESIS)
})

t.test('a head that points at a missing batch is reported as corrupt', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const path = join(tmp.dir, 'db')
  const store = await ChainStore.open(path, genesisA)
  await store.putFinalBatch(record(0))
  await store.close()
  const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
  await raw.del(new Uint8Array([0x02, 0, 0, 0, 0, 0, 0, 0, 0]))
  await raw.close()
  await rejectsWithCode(t, ChainStore.open(path, genesisA), StoreErrorCode.CORRUPT)
})

t.test('a closed store refuses writes', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const store = await ChainStore.open(join(tmp.dir, 'db'), genesisA)
  await store.close()
  await rejectsWithCode(t, store.putFinalBatch(record(0)), StoreErrorCode.CLOSED)
})
