/**
 * A member whose disk fails (audit #13, item 5): before, one failed write of a final batch
 * kept the store's error for good, so the member never wrote, voted or committed again
 * (its core had moved its tip, its store had not). Now, in a 4-member committee where
 * member 3's writes fail on purpose (StoreFaults):
 * - while its safety, final or pending writes fail it sends no vote and no timeout (none
 *   may leave without its synced safety state), the other three go on, and the fault is
 *   reported by the store (what /v1/status and /metrics show);
 * - once the disk is back it resumes by itself: it votes again, reaches the others' height,
 *   and what it holds on disk after a restart is byte for byte the others' chain;
 * - a failing WAL only refuses admissions (STORE_WRITE_FAILED); the member keeps voting.
 */
import t, { type Test } from 'tap'
import { equalBytes } from '../../src/crypto/index.js'
import { decodeMessage } from '../../src/ordering/index.js'
import { StoreErrorCode, StoreFaults, type InjectableFaultCode, type StoreWritePath } from '../../src/store/index.js'
import { Cluster, type ClusterMember } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'
import { rejectsWithCode } from '../helpers/assert-error.js'

const VICTIM = 3

async function until (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Starts the committee with the victim's store under `faults`, and counts the victim's votes and timeouts. */
async function setUp (t: Test): Promise<{ cluster: Cluster, faults: StoreFaults, victim: ClusterMember, sent: { whileFaulted: number, total: number } }> {
  const cluster = await Cluster.start(4)
  const faults = new StoreFaults()
  t.teardown(async () => { faults.heal(); await cluster.stop() })
  await cluster.crash(VICTIM)
  const victim = await cluster.startMember(VICTIM, { faults })
  const sent = { whileFaulted: 0, total: 0 }
  const transport = cluster.net.members[VICTIM]!
  const send = transport.send.bind(transport)
  transport.send = (to, bytes) => {
    const { kind } = decodeMessage(bytes)
    if (kind === 'vote' || kind === 'timeout') {
      sent.total++
      const fault = victim.store.fault()
      if (fault !== null && fault.path !== 'wal') sent.whileFaulted++
    }
    send(to, bytes)
  }
  await cluster.finaliseInSteps(2)
  return { cluster, faults, victim, sent }
}

/** Admits `n` txs through member 0 and waits until members 0..2 hold them final. */
async function finaliseWithoutVictim (cluster: Cluster, n: number): Promise<void> {
  const hashes: string[] = []
  for (let i = 0; i < n; i++) hashes.push((await cluster.members[0]!.mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)).hashHex)
  for (const index of [0, 1, 2]) {
    const store = cluster.members[index]!.store
    await until(`member ${index} finalises`, async () => (await store.txLocations(hashes.map((h) => Buffer.from(h, 'hex')))).every((l) => l !== null))
  }
}

const cases: Array<[StoreWritePath, InjectableFaultCode]> = [['final', 'ENOSPC'], ['safety', 'EIO'], ['pending', 'ENOSPC']]

for (const [path, code] of cases) {
  t.test(`${code} on the ${path} path: the member stops voting, then resumes when the disk is back`, async (t) => {
    const { cluster, faults, victim, sent } = await setUp(t)
    faults.fail([path], code)
    await finaliseWithoutVictim(cluster, 3)
    await until('the victim reports the fault', () => victim.store.fault() !== null)
    t.match(victim.store.fault(), { code, path }, 'the store reports the fault: code and path')
    t.ok(victim.store.writeFailures[path] >= 1, `failures counted for ${path}`)
    await finaliseWithoutVictim(cluster, 3)
    const othersHead = cluster.members[0]!.store.head()!.height
    t.ok(victim.store.head()!.height < othersHead, `the committee went on without it (${victim.store.head()!.height} < ${othersHead})`)
    t.ok(faults.injected >= 2, `its write was retried (${faults.injected} failures)`)
    t.equal(sent.whileFaulted, 0, 'no vote or timeout left it while its writes failed')

    faults.heal()
    const votesBefore = sent.total
    await until('the fault clears', () => victim.store.fault() === null)
    await cluster.finaliseInSteps(2)
    await until('the victim votes again', () => sent.total > votesBefore)
    await until('the victim reaches the others', () => victim.store.head()!.height >= cluster.members[0]!.store.head()!.height)
    t.pass(`back at height ${victim.store.head()!.height}, voting`)

    await cluster.crash(VICTIM)
    const restarted = await cluster.startMember(VICTIM)
    const head = restarted.store.head()!.height
    t.ok(head >= othersHead, `after a restart its disk holds height ${head}`)
    for (let h = 0; h <= head; h++) {
      const mine = await restarted.store.getBatchBytes(h)
      const theirs = await cluster.members[0]!.store.getBatchBytes(h)
      if (mine === null || theirs === null || !equalBytes(mine, theirs)) t.fail(`batch ${h} on its disk differs from member 0's`)
    }
    t.pass(`batches 0..${head} on its disk are the committee's`)
  })
}

t.test('a failing WAL refuses admissions but the member keeps voting', async (t) => {
  const { cluster, faults, victim, sent } = await setUp(t)
  faults.fail(['wal'], 'ENOSPC')
  await rejectsWithCode(t, victim.mempool.admit(makeTx({ rollups: [1] }).bytes), StoreErrorCode.WRITE_FAILED)
  t.match(victim.store.fault(), { code: 'ENOSPC', path: 'wal' })
  const votesBefore = sent.total
  await finaliseWithoutVictim(cluster, 2)
  await until('the victim votes', () => sent.total > votesBefore)
  await until('and commits', () => victim.store.head()!.height >= cluster.members[0]!.store.head()!.height)
  faults.heal()
  const { hashHex } = await victim.mempool.admit(makeTx({ rollups: [2] }).bytes)
  t.equal(victim.store.fault(), null, 'the fault clears with the next WAL write that goes through')
  await cluster.waitFinal([hashHex])
})
