/**
 * Final batches are written behind the vote (chain-store.ts, docs/PROTOCOL.md "What is
 * durable before a vote"): a member votes once its safety state is synced and writes the
 * batches that became final after that, grouped, later. This test makes a crash land in
 * between: one member's store holds its queued writes for an hour (they reach disk only
 * with its next safety write), and the member is stopped as a process crash would, which
 * drops them. Restarted, it must get the same batches back byte for byte, with every tx
 * ordered once, at the same position as on the other members, and out of the WAL.
 */
import t from 'tap'
import { bytesToHex, equalBytes, hexToBytes } from '../../src/crypto/index.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

const HOLD_MS = 3_600_000

t.test('a crash between the vote and the final-batch write loses nothing', async (t) => {
  const cluster = await Cluster.start(4)
  t.teardown(() => cluster.stop())
  const victim = 3
  await cluster.crash(victim)
  await cluster.startMember(victim, { writeBehindMs: HOLD_MS })
  const hashes = await cluster.finaliseInSteps(6)
  const member = cluster.members[victim]!
  const head = member.store.head()!.height
  const before = new Map<number, Uint8Array>()
  for (let h = 0; h <= head; h++) before.set(h, (await member.store.getBatchBytes(h))!)
  const dropped = await cluster.crash(victim, { dropQueued: true })
  t.ok(dropped >= 1, `the crash dropped ${dropped} final batch write(s) queued after the member's last vote`)

  const restarted = await cluster.startMember(victim)
  t.ok(restarted.store.head()!.height < head, `restarted at height ${restarted.store.head()!.height}, below the ${head} it had`)
  const more = [(await restarted.mempool.admit(makeTx({ rollups: [1] }).bytes)).hashHex, (await cluster.live()[0]!.mempool.admit(makeTx({ rollups: [2] }).bytes)).hashHex]
  await cluster.waitFinal([...hashes, ...more], 30_000)
  t.ok(restarted.store.head()!.height >= head, `back at height ${restarted.store.head()!.height}`)
  for (let h = 0; h <= head; h++) {
    const bytes = await restarted.store.getBatchBytes(h)
    if (bytes === null || !equalBytes(bytes, before.get(h)!)) t.fail(`batch ${h} differs from what the member held before the crash`)
  }
  t.pass(`batches 0..${head} are byte-identical to those before the crash`)
  const all = [...hashes, ...more].map((h) => hexToBytes(h)!)
  const wal = new Set((await restarted.store.walEntries()).map((e) => bytesToHex(e.hash)))
  t.same(hashes.filter((h) => wal.has(h)), [], 'no final tx is left in the WAL')
  const locations = await restarted.store.txLocations(all)
  t.ok(locations.every((l) => l !== null), 'every tx is in the chain')
  t.same(locations, await cluster.live()[0]!.store.txLocations(all), 'every tx at the same (height, index) as on the other members')
})

