/**
 * A member whose data folder is wiped (safety state, log, WAL, blocks all lost) restarts
 * as a new member would: it must never sign a vote, timeout or proposal that conflicts
 * with one it sent before the wipe (safety-rules.ts, "recovering"), and it must vote again
 * once it has waited out the rounds it could have signed in. The invariant checker keeps
 * every vote and timeout it ever sent, across the wipe, and fails the run on a second,
 * different one in a round (or a vote in a round it timed out of).
 */
import t from 'tap'
import type { CoreAction } from '../../src/ordering/consensus-core.js'
import type { ByzantineSpec } from './byzantine.js'
import { expectRunOk } from './expect-run.js'
import { Simulation, type ScriptStep } from './simulation.js'

const WIPED = 2

function wipeRun (seed: number, byzantine: ByzantineSpec[], downMs: number): { ok: boolean, votesAfterLastWipe: number, sim: Simulation, result: ReturnType<Simulation['run']> } {
  const script: ScriptStep[] = []
  const senders = [0, 1, 3].filter((id) => !byzantine.some((b) => b.id === id))
  for (let at = 200, k = 0; at < 20_000; at += 37, k++) script.push({ at, action: 'submit', who: senders[k % senders.length]! })
  const wipes = [2500, 6000, 9500]
  for (const at of wipes) {
    script.push({ at, action: 'wipe', who: WIPED })
    script.push({ at: at + downMs, action: 'restart', who: WIPED })
  }
  let votesAfterLastWipe = 0
  const sim = new Simulation({
    seed,
    byzantine,
    faults: { crashes: 0, partitions: 0 },
    txCount: 0,
    faultPhaseMs: 22_000,
    script,
    hooks: {
      afterStep: (sim, node, _event, actions: readonly CoreAction[]) => {
        if (node !== WIPED || sim.now < wipes[wipes.length - 1]! + downMs) return
        votesAfterLastWipe += actions.filter((a) => (a.type === 'send' || a.type === 'broadcast') && a.message.kind === 'vote').length
      }
    }
  })
  const result = sim.run()
  return { ok: result.ok, votesAfterLastWipe, sim, result }
}

t.test('a wiped member never signs a conflicting vote and votes again after waiting out the rounds it could have signed in', async (t) => {
  const cases: Array<{ byzantine: ByzantineSpec[], what: string }> = [
    { byzantine: [], what: 'all honest' },
    { byzantine: [{ id: 1, behaviours: ['equivocate', 'replay'] }], what: 'an equivocating leader replaying old messages' },
    { byzantine: [{ id: 3, behaviours: ['equivocate', 'doubleVote', 'replay'] }], what: 'an equivocating, double-voting leader replaying old messages' }
  ]
  for (const { byzantine, what } of cases) {
    for (const downMs of [5, 40, 400]) {
      for (let seed = 1; seed <= 6; seed++) {
        const run = wipeRun(seed, byzantine, downMs)
        if (!expectRunOk(t, run.result, `${what}, restarted ${downMs} ms after each wipe, seed ${seed}`)) return
        t.ok(run.votesAfterLastWipe > 0, `r${WIPED} voted ${run.votesAfterLastWipe} times after its last wipe`)
      }
    }
  }
})
