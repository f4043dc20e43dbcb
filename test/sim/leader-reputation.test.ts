/**
 * Leader reputation in the simulator (src/ordering/leader-election.ts): with one member
 * down, the committee stops handing it rounds (only probe rounds), so far fewer rounds
 * time out than the 1 in 2 of round-robin (the dead member's round and the one before,
 * whose votes go to it); when it comes back it leads again.
 */
import t from 'tap'
import type { CoreAction } from '../../src/ordering/consensus-core.js'
import { expectRunOk } from './expect-run.js'
import { Simulation, type FaultProfile, type ScriptStep, type SimOptions, type SimResult } from './simulation.js'

const calm: Partial<FaultProfile> = { dropP: 0, dupP: 0, longDelayP: 0, maxDelayMs: 10, crashes: 0, partitions: 0 }
const DOWN = 2
const CRASH_AT = 2000
const RESTART_AT = 40_000
const END = 60_000

interface Tally { qc: number, tc: number }
interface Run { result: SimResult, down: Tally, back: Tally, proposedAfterRestart: number }

function run (options: Partial<SimOptions>): Run {
  const script: ScriptStep[] = [{ at: CRASH_AT, action: 'crash', who: DOWN }, { at: RESTART_AT, action: 'restart', who: DOWN }]
  for (let at = 500; at < END - 1000; at += 40) script.push({ at, action: 'submit', who: [0, 1, 3][(at / 40) % 3]! })
  const down: Tally = { qc: 0, tc: 0 }
  const back: Tally = { qc: 0, tc: 0 }
  let proposedAfterRestart = 0
  const sim = new Simulation({
    seed: 7,
    byzantine: [],
    faults: calm,
    txCount: 0,
    faultPhaseMs: END,
    script,
    hooks: {
      // rounds as member 0 enters them: by a QC (the round before succeeded) or a TC (it timed out)
      afterStep: (sim, node, _event, actions: readonly CoreAction[]) => {
        for (const a of actions) {
          if (node === DOWN && a.type === 'broadcast' && a.message.kind === 'proposal' && sim.now > RESTART_AT) proposedAfterRestart++
          if (node !== 0 || a.type !== 'enterRound' || a.via === 'start') continue
          const tally = sim.now > CRASH_AT && sim.now < RESTART_AT ? down : sim.now > RESTART_AT + 5000 ? back : null
          if (tally !== null) tally[a.via]++
        }
      }
    },
    ...options
  })
  return { result: sim.run(), down, back, proposedAfterRestart }
}

const share = (t: Tally): number => t.tc / (t.qc + t.tc)

t.test('one member down: the share of rounds that time out drops well below 1/4, and it leads again once back', async (t) => {
  const reputation = run({})
  expectRunOk(t, reputation.result)
  // Round-robin as before: windows so long that no member is ever left out.
  const roundRobin = run({ leaderElection: { windowRounds: 1_000_000, excludeRounds: 4, probeEvery: 64 } })
  expectRunOk(t, roundRobin.result)
  t.comment(`while r${DOWN} was down: reputation ${reputation.down.tc} of ${reputation.down.qc + reputation.down.tc} rounds timed out (${(100 * share(reputation.down)).toFixed(1)} %), round-robin ${roundRobin.down.tc} of ${roundRobin.down.qc + roundRobin.down.tc} (${(100 * share(roundRobin.down)).toFixed(1)} %)`)
  // Only the dead leader's rounds: the round voting to it forms its QC from votes sent to all after a TC (consensus-core.ts #votesToAll).
  t.ok(share(roundRobin.down) >= 0.2, 'round-robin: about one round in four times out (the dead leader\'s)')
  t.ok(share(reputation.down) < 0.1, 'reputation: under 1 round in 10 times out')
  t.ok(reputation.down.qc > 3 * roundRobin.down.qc, `more rounds succeed (${reputation.down.qc} against ${roundRobin.down.qc})`)
  t.ok(reputation.proposedAfterRestart > 0, `r${DOWN} proposed ${reputation.proposedAfterRestart} blocks after it came back`)
  t.ok(share(reputation.back) < 0.05, `after it came back: ${reputation.back.tc} of ${reputation.back.qc + reputation.back.tc} rounds timed out`)
})
