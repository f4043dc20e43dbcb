/**
 * A voting member's final batches wait (MEMBER_WRITE_BEHIND_MS) for its next safety write
 * and go to level in the same synced write, so a round costs one level write, not two
 * (issue #11); an idle member's wait ends and the batch is written on its own.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ChainStore, MEMBER_WRITE_BEHIND_MS, StoreFaults, type FinalBatchRecord, type StoreWritePath } from '../../src/store/index.js'
import { sha256 } from '../../src/crypto/index.js'
import { makeTempDir } from '../helpers/temp-dir.js'

/** Real store, real level: only records which paths each level write held. */
class WriteLog extends StoreFaults {
  readonly writes: StoreWritePath[][] = []
  override async beforeWrite (paths: ReadonlySet<StoreWritePath>): Promise<void> {
    this.writes.push([...paths].sort())
    await super.beforeWrite(paths)
  }
}

function record (height: number): FinalBatchRecord {
  return {
    height,
    hash: sha256(new Uint8Array([height])),
    batchBytes: new Uint8Array(100).fill(height),
    commitProofBytes: new Uint8Array(50).fill(height + 1),
    txHashes: [sha256(new Uint8Array([height, 1]))],
    rollupCounts: []
  }
}

async function openStore (t: Test, writeBehindMs: number): Promise<{ store: ChainStore, log: WriteLog }> {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const log = new WriteLog()
  const store = await ChainStore.open(join(tmp.dir, 'db'), sha256(new Uint8Array([7])), { writeBehindMs, faults: log })
  t.teardown(() => store.close())
  log.writes.length = 0 // the identity record written at open
  return { store, log }
}

t.test('the next safety write carries the final batch queued before it', async (t) => {
  const { store, log } = await openStore(t, MEMBER_WRITE_BEHIND_MS)
  const written = store.putFinalBatch(record(0))
  await sleep(2) // a vote a little later, as in a round
  await store.putSafetyState(new Uint8Array(8).fill(1))
  await written
  t.same(log.writes, [['final', 'safety']], 'one level write holds both')
  t.equal(store.syncWrites.safety, 1)
})

t.test('without the hold, the batch goes on its own first', async (t) => {
  const { store, log } = await openStore(t, 0)
  const written = store.putFinalBatch(record(0))
  await sleep(2)
  await store.putSafetyState(new Uint8Array(8).fill(1))
  await written
  t.same(log.writes, [['final'], ['safety']], 'two level writes')
})

t.test('an idle member writes the batch when the hold ends', async (t) => {
  const { store, log } = await openStore(t, MEMBER_WRITE_BEHIND_MS)
  await store.putFinalBatch(record(0))
  t.same(log.writes, [['final']], 'written without a safety write')
  t.equal((await store.getBatchBytes(0))?.length, 100)
})
