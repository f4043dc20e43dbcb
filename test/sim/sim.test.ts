/**
 * Named scenarios of the consensus simulator, and a regression test for every core bug a
 * seed found (see the list at the end; `npm run sim -- --seeds 1 --from S --trace`
 * replays one). Random sweeps are in sim-seeds.test.ts and sim-real-crypto.test.ts.
 */
import t from 'tap'
import type { CoreAction } from '../../src/ordering/consensus-core.js'
import { expectRunOk } from './expect-run.js'
import { Simulation, runSimulation, type FaultProfile, type ScriptStep, type SimOptions } from './simulation.js'

const calm: Partial<FaultProfile> = { dropP: 0, dupP: 0, longDelayP: 0, maxDelayMs: 10, crashes: 0, partitions: 0 }

function commitsOf (actions: readonly CoreAction[]): number {
  let n = 0
  for (const a of actions) if (a.type === 'commit') n += a.blocks.length
  return n
}

t.test('leader crash mid-round: the round times out and the next leader carries on', async (t) => {
  // 0: before persisting its proposal; 1: persisted, not sent; 2: sent, then down
  for (const afterActions of [0, 1, 2]) {
    let crashed = -1
    let crashRound = -1
    const sim = new Simulation({
      seed: 11,
      byzantine: [],
      faults: calm,
      txCount: 0,
      faultPhaseMs: 12_000,
      script: [{ at: 1000, action: 'submit', count: 5 }, { at: 4000, action: 'submit', count: 5 }],
      hooks: {
        afterStep: (sim, node, _event, actions) => {
          if (crashed >= 0 || sim.now < 4000) return
          const build = actions.find((a) => a.type === 'buildProposal')
          if (build === undefined) return
          crashed = node
          crashRound = build.round
          sim.armCrash(node, afterActions, 'proposalBuilt')
          sim.schedule({ at: sim.now + 3000, action: 'restart', who: node })
        }
      }
    })
    const result = sim.run()
    expectRunOk(t, result, `crash after ${afterActions} actions of the proposal step`)
    t.ok(crashed >= 0, `leader r${crashed} crashed building round ${crashRound}`)
    t.equal(result.stats.crashes, 1, 'one crash')
    t.equal(result.stats.midStepCrashes, 1, 'in the step that signs and sends its proposal')
    if (afterActions < 2) t.ok(result.stats.tcRounds > 0, 'its round ended with a timeout certificate')
    t.equal(result.stats.txs, 10, 'every tx final (checked by the run)')
  }
})

t.test('equivocating leader: never two certified blocks in a round, every tx final', async (t) => {
  for (let seed = 1; seed <= 12; seed++) {
    const result = runSimulation({ seed, byzantine: [{ id: seed % 4, behaviours: ['equivocate'] }], faults: { crashes: 0 } })
    expectRunOk(t, result, `seed ${seed}`)
    t.ok((result.stats.byzantine[0]!.counts.equivocate ?? 0) > 0, `r${seed % 4} equivocated ${result.stats.byzantine[0]!.counts.equivocate} times`)
  }
})

t.test('double-vote Byzantine (also equivocating as leader): safety and liveness hold', async (t) => {
  for (let seed = 1; seed <= 12; seed++) {
    const result = runSimulation({ seed, byzantine: [{ id: (seed + 1) % 4, behaviours: ['doubleVote', 'equivocate'] }] })
    expectRunOk(t, result, `seed ${seed}`)
    t.ok((result.stats.byzantine[0]!.counts.doubleVote ?? 0) > 0, `${result.stats.byzantine[0]!.counts.doubleVote} double votes`)
    t.ok(Object.keys(result.stats.rejects).some((k) => k.endsWith('vote: CONSENSUS_EQUIVOCATION')), 'leaders refused the second votes')
  }
})

t.test('lock: a Byzantine leader holding a TC cannot fork a block one replica already committed', async (t) => {
  // Rounds r-1, r, r+1 certify P, B, B'; the leader of r+2 forms the QC on B', commits B
  // and is cut off at once. The others time out r+2 locked on B's QC; the Byzantine leader
  // of r+3 proposes, with that TC, a sibling of B on P's QC and votes for it. Honest
  // replicas must refuse (the TC's highest QC is B's); voting would fork B.
  const byzantine = 3
  const isolated = (byzantine + 3) % 4 // leader of r+2
  const script: ScriptStep[] = []
  for (let at = 500, k = 0; at < 4000; at += 30, k++) script.push({ at, action: 'submit', who: [0, 1, 2].filter((i) => i !== byzantine)[k % 3] ?? 0 })
  let cutAt = -1
  const sim = new Simulation({
    seed: 61,
    byzantine: [{ id: byzantine, behaviours: ['forkAttack'] }],
    faults: calm,
    txCount: 0,
    faultPhaseMs: 12_000,
    script,
    hooks: {
      afterStep: (sim, node, _event, actions) => {
        if (cutAt >= 0 || node !== isolated || sim.core(node)!.round % 4 !== isolated) return
        if (!actions.some((a) => a.type === 'commit' && a.blocks.some((b) => b.block.header.round % 4 === (isolated + 2) % 4))) return
        cutAt = sim.now
        sim.schedule({ at: sim.now, action: 'partition', groups: [[isolated], [0, 1, 2, 3].filter((i) => i !== isolated)] })
        sim.schedule({ at: sim.now + 5000, action: 'heal' })
      }
    }
  })
  const result = sim.run()
  expectRunOk(t, result)
  t.ok(cutAt > 0, `r${isolated} cut off at ${cutAt} ms right after committing`)
  t.ok((result.stats.byzantine[0]!.counts.forkAttack ?? 0) > 0, 'the fork was proposed with a TC')
})

t.test('partition 2|2 that heals: nothing final while split, everything after', async (t) => {
  const commitTimes: number[] = []
  const result = runSimulation({
    seed: 21,
    byzantine: [],
    faults: calm,
    txCount: 0,
    faultPhaseMs: 15_000,
    script: [
      { at: 500, action: 'submit', count: 3 },
      { at: 3000, action: 'partition', groups: [[0, 1], [2, 3]] },
      { at: 4000, action: 'submit', count: 10 },
      { at: 7000, action: 'submit', count: 10 },
      { at: 10_000, action: 'heal' }
    ],
    hooks: { afterStep: (sim, _node, _event, actions) => { if (commitsOf(actions) > 0) commitTimes.push(sim.now) } }
  })
  expectRunOk(t, result)
  t.ok(commitTimes.some((at) => at < 3000), 'commits before the split')
  t.same(commitTimes.filter((at) => at > 3200 && at < 10_000), [], 'no side has a quorum: nothing final while split')
  t.ok(commitTimes.some((at) => at >= 10_000 && at < 15_000), 'commits resume after the heal, before the faults end')
  t.ok(result.stats.tcRounds > 0, 'rounds timed out while split')
})

for (const syncPollMs of [0, 1500]) {
  t.test(`a replica restarted after missing 100+ heights catches up (${syncPollMs === 0 ? 'through block fetches only' : 'with catch-up sync'})`, async (t) => {
    const script: ScriptStep[] = [{ at: 500, action: 'crash', who: 3 }, { at: 30_000, action: 'restart', who: 3 }]
    for (let at = 1000; at < 29_000; at += 50) script.push({ at, action: 'submit', who: at % 3 })
    script.push({ at: 31_000, action: 'submit', count: 3 })
    let heightAtRestart = -1
    const sim = new Simulation({
      seed: 31,
      byzantine: [],
      faults: calm,
      txCount: 0,
      faultPhaseMs: 35_000,
      maxTxsPerBlock: 1,
      baseTimeoutMs: 150,
      syncPollMs,
      script,
      hooks: { afterStep: (sim, node, event) => { if (node === 3 && event.type === 'start' && sim.now >= 30_000) heightAtRestart = sim.committedLog(0).length } }
    })
    const result = sim.run()
    expectRunOk(t, result)
    t.ok(heightAtRestart >= 100, `${heightAtRestart} heights were committed while r3 was down`)
    t.equal(sim.committedLog(3).length, sim.committedLog(0).length, `r3 has all ${sim.committedLog(0).length} heights`)
    t.equal(sim.committedLog(3)[sim.committedLog(3).length - 1]!.hashHex, sim.committedLog(0)[sim.committedLog(0).length - 1]!.hashHex, 'and the same tip')
    if (syncPollMs === 0) t.equal(result.stats.syncedBlocks, 0, 'no catch-up sync was used')
  })
}

t.test('all idle: no txs, no blocks', async (t) => {
  for (const faults of [calm, { dropP: 0.2, dupP: 0.1, crashes: 3, partitions: 2 }]) {
    const result = runSimulation({ seed: 41, byzantine: [], faults, txCount: 0, faultPhaseMs: 10_000, quiesceMs: 20_000 })
    expectRunOk(t, result)
    t.equal(result.stats.blocksProposed, 0, 'nothing proposed')
    t.equal(result.stats.committedHeights, 0, 'nothing committed')
    t.equal(result.stats.tcRounds, 0, 'no round timed out')
  }
})

t.test('one tx: its block and the empty child that finalises it, promptly, then quiet', async (t) => {
  const finalAt = new Map<number, number>()
  const options: SimOptions = {
    seed: 51,
    byzantine: [],
    faults: calm,
    txCount: 0,
    faultPhaseMs: 3000,
    quiesceMs: 30_000,
    script: [{ at: 1000, action: 'submit', who: 0 }],
    hooks: { afterStep: (sim, node, _event, actions) => { if (commitsOf(actions) > 0 && !finalAt.has(node)) finalAt.set(node, sim.now) } }
  }
  const result = runSimulation(options)
  expectRunOk(t, result)
  t.equal(finalAt.size, 4, 'final at every replica')
  const latest = Math.max(...finalAt.values())
  t.ok(latest - 1000 <= 100, `final everywhere ${latest - 1000} ms after submission (ten network delays at most)`)
  t.equal(result.stats.blocksProposed, 2, 'two blocks: the tx and its empty child')
  t.equal(result.stats.committedHeights, 1, 'the tx block is final; the empty child waits for the next one')
  t.equal(result.stats.tcRounds, 0, 'no timeouts')
})

/**
 * Every core bug the simulator found, as a seed that fails with the fix reverted (checked
 * against this simulator; `found` is the seed that first showed it, in an earlier one).
 */
const regressions: Array<{ name: string, seed: number, found: number, n?: number }> = [
  { name: 'a proposal for the current round on a certificate below the committed tip crashed the core (pruned parent)', seed: 9, found: 14 },
  { name: 'a restarted member could not time out rounds below its highest vote round: committee one timeout short', seed: 158, found: 82 },
  { name: 'members stranded in an older round by a TC that reached others inside a proposal', seed: 439, found: 218 },
  { name: 'laggards\' rounds timed out without raising and persisting highestVoteRound', seed: 896, found: 2134 },
  { name: 'a proposal built on the old high QC was signed with the new one as justify', seed: 21, found: 1216 },
  { name: 'a forged copy of a known certificate passed as valid and went into commit proofs', seed: 388, found: 1370 },
  { name: 'the timer re-armed for the old round after its own timeout completed a TC, replacing the new round\'s timer', seed: 461, found: 461 },
  { name: 'a lost block fetch was never retried: the member timed out forever on an idle chain', seed: 78, found: 63 },
  { name: 'TC not relayed on timeout: laggards caught up late or never went quiet', seed: 1315, found: 1 },
  { name: 'stale timeouts unanswered: laggards caught up late or never went quiet', seed: 115, found: 50 },
  { name: 'the TC high-QC rule of safe_to_vote (guard: the seed fails without it)', seed: 820, found: 820 }
]

for (const r of regressions) {
  t.test(`regression: ${r.name} (seed ${r.seed})`, async (t) => {
    expectRunOk(t, runSimulation({ seed: r.seed, n: r.n ?? 4 }))
  })
}
