/**
 * A member that missed a few heights (cut off, or restarted and synced while the chain moved
 * on) must get back into consensus as soon as it hears of newer blocks. Peers serve only
 * blocks they have not committed, so a block fetch cannot bridge heights that are final at
 * the others: only catch-up can, and it must not wait for the next sync probe. Before the
 * fix such a member fetched the parent of every proposal in vain until the probe came
 * (1 s by default; each time the chain had moved on again), and barely voted
 * (test/e2e/committee.test.ts). Here the probe interval is a minute, so only the fix can
 * make the deadline.
 */
import t from 'tap'
import { Cluster, type ClusterMember } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

const SYNC_INTERVAL_MS = 60_000

async function waitHeld (members: ClusterMember[], hash: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (const member of members) {
    while ((await member.store.txLocation(Buffer.from(hash, 'hex'))) === null) {
      if (Date.now() > deadline) throw new Error(`member ${member.index} did not finalise ${hash} (height ${member.store.head()?.height ?? -1})`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

for (const missed of [1, 3]) {
  t.test(`a member that missed ${missed} final batch(es) joins in again at once, not at the next sync probe`, async (t) => {
    const cluster = await Cluster.start(4, { baseTimeoutMs: 100, syncIntervalMs: SYNC_INTERVAL_MS })
    t.teardown(() => cluster.stop())
    await cluster.finaliseInSteps(1)
    const [a, b, c, away] = cluster.live() as [ClusterMember, ClusterMember, ClusterMember, ClusterMember]
    const headBefore = away.store.head()!.height

    // Cut off (its driver runs on), while the others finalise `missed` batches.
    cluster.net.down.add(away.index)
    for (let i = 0; i < missed; i++) {
      await waitHeld([a, b, c], (await a.mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)).hashHex, 20_000)
    }
    t.ok(a.store.head()!.height > headBefore, `the others moved from height ${headBefore} to ${a.store.head()!.height}`)
    t.equal(away.store.head()!.height, headBefore, 'the member cut off did not')

    cluster.net.down.delete(away.index)
    const started = Date.now()
    const after = (await b.mempool.admit(makeTx({ rollups: [2] }).bytes)).hashHex
    await waitHeld([a, b, c, away], after, SYNC_INTERVAL_MS / 4)
    t.comment(`final at the member that was cut off ${Date.now() - started} ms after the link healed`)
    t.ok(away.store.head()!.height >= a.store.head()!.height - 2, `it is level with the others (height ${away.store.head()!.height} against ${a.store.head()!.height})`)
  })
}
