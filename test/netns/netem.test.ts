/**
 * Shaped links: the four namespaced nodes talk over links with 20 ms +- 5 ms one-way delay
 * and 1 % loss, and must keep finalising and agreeing. Uses `tc netem` where the kernel has
 * it; otherwise (kernels built without sch_netem) the userspace delay relay of `netns/`,
 * which says so in a comment. Skips where namespaces cannot be created.
 */
import t from 'tap'
import { LoadGenerator } from '../../devnet/load.js'
import { probeNetnsSupport, type LinkShape } from '../../netns/index.js'
import { assertAgreement, sleep, startLab, waitHeights } from './helpers.js'

const SHAPE: LinkShape = { delayMs: 20, jitterMs: 5, lossPct: 1 }
const RUN_MS = 8000

const support = await probeNetnsSupport()
if (!support.ok) {
  t.plan(0, `network namespaces unavailable: ${support.reason}`)
} else {
  t.test(`links with ${SHAPE.delayMs} ms +- ${SHAPE.jitterMs} ms delay and ${SHAPE.lossPct} % loss still finalise`, async (t) => {
    const useNetem = support.netem
    const { lab, committee } = await startLab(t, { chainId: 'netns-netem', relay: !useNetem })
    if (useNetem) await lab.netem(SHAPE)
    else committee.relay!.shape = SHAPE
    t.comment(useNetem ? 'shaping with tc netem on every node link' : 'sch_netem is not in this kernel: shaping with the userspace delay relay (loss modelled as a 200 ms retransmission stall)')

    const load = new LoadGenerator(committee.members.map((m) => m.url), committee.genesis.chainId, [1, 2])
    t.teardown(async () => { await load.stop() })
    // an idle chain makes no batches: the load drives the heights
    load.start(20)
    const before = await waitHeights(committee, 'a first height', 20_000, (h) => h.every((x) => x >= 0))
    await sleep(RUN_MS)
    const after = await waitHeights(committee, 'heights to move under shaping', 20_000, (h) => h.every((x, i) => x >= before.heights[i]! + 5))
    await load.stop()
    const seconds = (after.at - before.at) / 1000
    const gained = Math.min(...after.heights.map((h, i) => h - before.heights[i]!))
    t.comment(`finality under shaping: ${gained} heights on every node in ${seconds.toFixed(1)} s = ${(gained / seconds).toFixed(1)} heights/s; ${load.stats.acknowledged} txs acknowledged` +
      (committee.relay !== null ? `; relay: ${committee.relay.stats.chunks} chunks, ${committee.relay.stats.lost} with a simulated loss` : ''))
    t.ok(gained >= 5, `every node finalised at least 5 heights under shaping (${before.heights.join('/')} -> ${after.heights.join('/')})`)
    if (committee.relay !== null) t.ok(committee.relay.stats.chunks > 0, 'node-to-node traffic went through the delay relay')
    await assertAgreement(t, committee, 'under shaping')
  })
}
