/**
 * Consensus drivers of a 4-member committee over an in-process network, with real stores:
 * all members finalise the same batches, a crashed leader does not stop progress, and a
 * member restarted after missing many batches catches up.
 */
import t from 'tap'
import { equalBytes } from '../../src/crypto/index.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

async function until (what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function assertSameChain (t: { pass: (m: string) => void, fail: (m: string) => void }, cluster: Cluster): Promise<number> {
  const live = cluster.live()
  const low = Math.min(...live.map((m) => m.store.head()?.height ?? -1))
  for (let h = 0; h <= low; h++) {
    const bytes = await Promise.all(live.map((m) => m.store.getBatchBytes(h)))
    if (!bytes.every((b) => b !== null && equalBytes(b, bytes[0]!))) {
      t.fail(`members disagree at height ${h}`)
      return low
    }
  }
  t.pass(`${live.length} members hold identical batches 0..${low}`)
  return low
}

t.test('4 members order txs submitted to different members into one chain', async (t) => {
  const cluster = await Cluster.start(4)
  t.teardown(() => cluster.stop())
  const hashes: string[] = []
  for (let i = 0; i < 40; i++) {
    const member = cluster.live()[i % 4]!
    hashes.push((await member.mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)).hashHex)
  }
  await cluster.waitFinal(hashes)
  await assertSameChain(t, cluster)
  const heights = cluster.live().map((m) => m.store.head()!.height)
  t.ok(Math.max(...heights) < 40, `batched: ${Math.max(...heights) + 1} batches for 40 txs`)
  // Idle is a state, not a pause: no member has work (its core arms no timer and proposes
  // nothing) and no message is on its way, so no further batch can be made.
  const quiet = (): boolean => cluster.net.inFlight === 0 && cluster.live().every((m) => !m.driver.core.isActive())
  await until('every member to idle', quiet)
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(quiet(), 'still idle once what was being handled is done')
  const after = cluster.live().map((m) => m.store.head()!.height)
  t.same(after, heights, 'idle: no more batches once everything is final')
})

t.test('a crashed member (the leader of the next rounds) does not stop progress', async (t) => {
  const cluster = await Cluster.start(4)
  t.teardown(() => cluster.stop())
  const first = await cluster.live()[0]!.mempool.admit(makeTx().bytes)
  await cluster.waitFinal([first.hashHex])
  const leader = cluster.live()[0]!.driver.core.leaderOf(cluster.live()[0]!.driver.core.round)
  await cluster.crash(leader)
  const started = Date.now()
  const hashes: string[] = []
  for (const m of cluster.live()) hashes.push((await m.mempool.admit(makeTx({ rollups: [2] }).bytes)).hashHex)
  await cluster.waitFinal(hashes)
  t.comment(`final again ${Date.now() - started} ms after the leader crashed`)
  await assertSameChain(t, cluster)
})

t.test('a member restarted after missing 100+ batches catches up and verifies them', async (t) => {
  const cluster = await Cluster.start(4, { baseTimeoutMs: 50 })
  t.teardown(() => cluster.stop())
  await cluster.crash(3)
  let hashes: string[] = []
  for (let round = 0; round < 60; round++) {
    const batch: string[] = []
    for (let i = 0; i < 2; i++) batch.push((await cluster.live()[i % 3]!.mempool.admit(makeTx().bytes)).hashHex)
    await cluster.waitFinal(batch)
    hashes = hashes.concat(batch)
  }
  const height = cluster.live()[0]!.store.head()!.height
  t.ok(height >= 100, `the others went on to height ${height}`)
  await cluster.startMember(3)
  const restarted = cluster.members[3]!
  const deadline = Date.now() + 20_000
  while ((restarted.store.head()?.height ?? -1) < height && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  t.ok((restarted.store.head()?.height ?? -1) >= height, `restarted member reached ${restarted.store.head()?.height}`)
  await cluster.waitFinal(hashes)
  await assertSameChain(t, cluster)
})

t.test('a backlog larger than a batch is packed into chunks that fit a batch, and all of it becomes final', async (t) => {
  const { defaultConsensusDriverOptions } = await import('../../src/ordering/index.js')
  // a long coalescing delay lets the packer see the whole backlog at once (2000 txs > maxBatchTxs 500)
  // (admitted at once before anything is final: the overload floor must hold the whole backlog)
  const cluster = await Cluster.start(1, { packer: { ...defaultConsensusDriverOptions.packer, chunkDelayMs: 300 } }, { overloadMinHeldTxs: 2000 })
  t.teardown(() => cluster.stop())
  const member = cluster.live()[0]!
  const admitted = await Promise.all(Array.from({ length: 1200 }, async () => await member.mempool.admit(makeTx({ rollups: [1], payloadBytes: 8 }).bytes)))
  await cluster.waitFinal(admitted.map((a) => a.hashHex), 30_000)
  const head = member.store.head()!.height
  let largest = 0
  for (let h = 0; h <= head; h++) largest = Math.max(largest, (await member.store.getBatch(h))!.chunks.reduce((n, c) => Math.max(n, c.txs.length), 0))
  t.ok(largest <= 500, `largest chunk ${largest} txs, batch limit 500`)
})

t.test('a chunk lost on its way to every member is sent again, so the txs of a member that never leads become final', async (t) => {
  const cluster = await Cluster.start(4)
  t.teardown(() => cluster.stop())
  // Member 3 never gets a consensus message out (its proposals and votes are lost: it never
  // leads a round), and its chunks are lost until `chunksLost` is cleared.
  let chunksLost = true
  cluster.net.lose = (from, _to, kind) => from === 3 && (kind === 'message' || chunksLost)
  const member = cluster.live()[3]!
  const admitted = await Promise.all(Array.from({ length: 5 }, async () => await member.mempool.admit(makeTx({ rollups: [1] }).bytes)))
  // Its chunk is packed and sent (and lost) at once; the others go on with their own txs.
  await cluster.waitFinal([(await cluster.live()[0]!.mempool.admit(makeTx({ rollups: [2] }).bytes)).hashHex])
  t.ok(admitted.every((a) => cluster.live()[0]!.store.txLocationSync(Buffer.from(a.hashHex, 'hex')) === null), "member 3's txs are not final while its chunk is lost")
  chunksLost = false
  await cluster.waitFinal(admitted.map((a) => a.hashHex), 20_000)
  t.pass('after the link heals, the chunk sent again makes them final on every member')
  await assertSameChain(t, cluster)
})
