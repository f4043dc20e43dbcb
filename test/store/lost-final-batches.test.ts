/**
 * Final batches are written without sync (chain-store.ts): an OS crash can take back the
 * last ones. This test makes a member's folder look exactly like that (the last two
 * final-batch writes undone: batches, proofs, indexes and head gone, their txs back in the
 * WAL, as one atomic level batch never applied leaves it) and restarts the member: it must
 * get the same batches back, byte for byte, with every tx ordered once (one position, the
 * same as on the other members, and out of the WAL). Today it gets them through catch-up sync from a peer.
 */
import t from 'tap'
import { join } from 'node:path'
import { Level } from 'level'
import { batchHash } from '../../src/batch/index.js'
import { BatchSchema, TxSchema, decode, encode } from '../../src/codec/index.js'
import { bytesToHex, equalBytes } from '../../src/crypto/index.js'
import { txHash } from '../../src/batch/index.js'
import { MetaKey, batchHashKey, batchKey, commitProofKey, metaKey, rollupHeightKey, txLocationKey, u64, walKey } from '../../src/store/keys.js'
import { Cluster, clusterGenesis } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

const LOST = 2

/** A WAL record as the mempool writes it: u64 admission sequence, then the tx bytes. */
function walValue (seq: number, tx: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + tx.length)
  out.set(u64(seq), 0)
  out.set(tx, 8)
  return out
}

/** Undoes the last `count` putFinalBatch writes of a closed store folder. */
async function undoFinalBatches (dir: string, head: number, count: number): Promise<string[]> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  const backInWal: string[] = []
  let seq = 0
  try {
    for (let h = head; h > head - count; h--) {
      const batch = decode(BatchSchema, (await db.get(batchKey(h)))!)
      const ops: Array<{ type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }> = [
        { type: 'del', key: batchKey(h) },
        { type: 'del', key: commitProofKey(h) },
        { type: 'del', key: batchHashKey(batchHash(batch.header)) }
      ]
      for (const chunk of batch.chunks) {
        for (const tx of chunk.txs) {
          const hash = txHash(clusterGenesis.chainId, tx)
          ops.push({ type: 'del', key: txLocationKey(hash) }, { type: 'put', key: walKey(hash), value: walValue(seq++, encode(TxSchema, tx)) })
          backInWal.push(bytesToHex(hash))
        }
      }
      for (const r of clusterGenesis.rollups) ops.push({ type: 'del', key: rollupHeightKey(r.id, h) })
      const parent = decode(BatchSchema, (await db.get(batchKey(h - 1)))!)
      const record = new Uint8Array(40)
      record.set(u64(h - 1), 0)
      record.set(batchHash(parent.header), 8)
      ops.push({ type: 'put', key: metaKey(MetaKey.head), value: record })
      await db.batch(ops, { sync: true })
    }
  } finally {
    await db.close()
  }
  return backInWal
}

t.test(`a member whose last ${LOST} final-batch writes were lost gets the same batches back, every tx once`, async (t) => {
  const cluster = await Cluster.start(4)
  t.teardown(() => cluster.stop())
  const hashes = await cluster.finaliseInSteps(6)
  const victim = 3
  const head = cluster.members[victim]!.store.head()!.height
  t.ok(head >= LOST + 1, `member ${victim} is at height ${head}`)
  const before = new Map<number, Uint8Array>()
  for (let h = 0; h <= head; h++) before.set(h, (await cluster.members[victim]!.store.getBatchBytes(h))!)
  await cluster.crash(victim)
  const backInWal = await undoFinalBatches(join(cluster.dir, `node-${victim}`), head, LOST)
  t.ok(backInWal.length > 0, `${backInWal.length} txs of the lost batches are back in the WAL`)

  const restarted = await cluster.startMember(victim)
  t.equal(restarted.store.head()!.height, head - LOST, `restarted at height ${head - LOST}`)
  // the chain moves on too: new txs through the restarted member and another
  const more = [(await restarted.mempool.admit(makeTx({ rollups: [1] }).bytes)).hashHex, (await cluster.live()[0]!.mempool.admit(makeTx({ rollups: [2] }).bytes)).hashHex]
  await cluster.waitFinal([...hashes, ...more], 30_000)
  t.ok(restarted.store.head()!.height >= head, `back at height ${restarted.store.head()!.height}`)
  for (let h = 0; h <= head; h++) {
    const bytes = await restarted.store.getBatchBytes(h)
    if (bytes === null || !equalBytes(bytes, before.get(h)!)) t.fail(`batch ${h} differs from what the member held before`)
  }
  t.pass(`batches 0..${head} are byte-identical to those before the loss`)
  const others = await cluster.live()[0]!.store.getBatchBytes(head + 1)
  if (others !== null) {
    const mine = await restarted.store.getBatchBytes(head + 1)
    t.ok(mine !== null && equalBytes(mine, others), 'and the next batch agrees with the others')
  }
  const wal = new Set((await restarted.store.walEntries()).map((e) => bytesToHex(e.hash)))
  t.same(backInWal.filter((h) => wal.has(h)), [], 'no tx of the lost batches is left in the WAL')
  const locations = await restarted.store.txLocations([...hashes, ...more].map((h) => Uint8Array.from(Buffer.from(h, 'hex'))))
  t.ok(locations.every((l) => l !== null), 'every tx is in the chain')
  // Ordered once: each tx has one position, the same on every member. (A tx the restarted
  // member re-admitted from its WAL before the sync may sit again in a later chunk, as after
  // any crash between admission and the final write; the payload counts it only once.)
  const reference = await cluster.live()[0]!.store.txLocations([...hashes, ...more].map((h) => Uint8Array.from(Buffer.from(h, 'hex'))))
  t.same(locations, reference, 'every tx at the same (height, index) as on the other members')

})
