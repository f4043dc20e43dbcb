/**
 * Real network partitions: four `seqnode` processes, each in its own network namespace,
 * talking over veth links through a router namespace. Under light load through the API:
 * one node is cut off (the three others go on finalising, it stops), then healed (it
 * catches up, and all four serve the same batch hashes); then a 2|2 split (no side has a
 * quorum: nobody finalises), healed (finality resumes, all agree). Skips, with the reason,
 * where namespaces cannot be created (not root, no iproute2, EPERM).
 */
import t from 'tap'
import { LoadGenerator } from '../../devnet/load.js'
import { probeNetnsSupport } from '../../netns/index.js'
import { assertAgreement, sleep, startLab, waitHeights } from './helpers.js'

/** Commits already under way when the cut happens may still land on the cut-off side. */
const SETTLE_MS = 1000
/** How long a side without quorum is watched for (not) finalising. */
const STALL_WATCH_MS = 3000

const support = await probeNetnsSupport()
if (!support.ok) {
  t.plan(0, `network namespaces unavailable: ${support.reason}`)
} else {
  t.test('partitions over real interfaces: minority stops, majority goes on, heal catches up, 2|2 split stalls', async (t) => {
    const startedAt = performance.now()
    const elapsed = (): string => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`
    const { lab, committee } = await startLab(t, { chainId: 'netns-partition' })
    t.comment(`lab ${lab.id}: nodes at ${lab.nodes.map((n) => n.addr).join(' ')}; all connected after ${elapsed()}`)

    const load = new LoadGenerator(committee.members.map((m) => m.url), committee.genesis.chainId, [1, 2])
    load.start(20)
    t.teardown(async () => { await load.stop() })
    await waitHeights(committee, 'the first heights', 20_000, (h) => h.every((x) => x >= 3))

    // ---- 1. isolate node 3: a minority of one ----
    const minority = 3
    const majority = [0, 1, 2]
    await lab.isolate([minority])
    const cutAt = performance.now()
    await sleep(SETTLE_MS)
    const atSettle = await committee.heights()
    const minorityHeight = atSettle[minority]!
    t.comment(`node-${minority} isolated (${lab.rules().length} blackhole rules); heights after ${SETTLE_MS} ms: ${atSettle.join('/')}`)
    const majorityBase = Math.min(...majority.map((i) => atSettle[i]!))
    const during = await waitHeights(committee, 'the majority to finalise 3 more heights', 20_000,
      (h) => majority.every((i) => h[i]! >= majorityBase + 3))
    await sleep(Math.max(0, STALL_WATCH_MS - (performance.now() - cutAt - SETTLE_MS)))
    const beforeHeal = await committee.heights()
    t.ok(majority.every((i) => beforeHeal[i]! >= majorityBase + 3), `the majority went on finalising: ${majorityBase} -> ${majority.map((i) => beforeHeal[i]).join('/')} (reached +3 ${((during.at - cutAt) / 1000).toFixed(1)} s after the cut)`)
    t.equal(beforeHeal[minority], minorityHeight, `the isolated node-${minority} finalised nothing for ${((performance.now() - cutAt - SETTLE_MS) / 1000).toFixed(1)} s (height stays ${minorityHeight})`)

    await lab.heal()
    const healAt = performance.now()
    const target = Math.max(...majority.map((i) => beforeHeal[i]!))
    const caughtUp = await waitHeights(committee, `node-${minority} to catch up to height ${target}`, 20_000, (h) => h[minority]! >= target)
    t.comment(`after heal: node-${minority} from ${minorityHeight} reached the majority's ${target} in ${(caughtUp.at - healAt).toFixed(0)} ms`)
    t.pass(`node-${minority} caught up after the heal (${(caughtUp.at - healAt).toFixed(0)} ms)`)
    await assertAgreement(t, committee, 'after the minority heal')

    // ---- 2. 2|2 split: no side has a quorum of 3 ----
    await lab.partition([[0, 1], [2, 3]])
    await sleep(SETTLE_MS)
    const splitHeights = await committee.heights()
    await sleep(STALL_WATCH_MS)
    const splitEnd = await committee.heights()
    // a node may still copy a height its partner finalised before the cut (catch-up sync);
    // what no side can do without a quorum is finalise a height nobody had
    const splitTop = Math.max(...splitHeights.map((h) => h!))
    t.equal(Math.max(...splitEnd.map((h) => h!)), splitTop, `during the 2|2 split no new height was finalised for ${STALL_WATCH_MS} ms (heights ${splitHeights.join('/')} -> ${splitEnd.join('/')})`)
    await lab.heal()
    const splitHealAt = performance.now()
    const top = Math.max(...splitEnd.map((h) => h!))
    const resumed = await waitHeights(committee, 'finality to resume after the split', 20_000, (h) => h.every((x) => x >= top + 3))
    t.comment(`after the split heal: all four past ${top + 3} in ${(resumed.at - splitHealAt).toFixed(0)} ms`)
    await load.stop()
    await assertAgreement(t, committee, 'after the 2|2 split heal')
    t.same(load.stats.failed, 0, 'every submission got an HTTP answer')
    t.comment(`load: ${load.stats.acknowledged} txs acknowledged; total ${elapsed()}`)
  })
}
