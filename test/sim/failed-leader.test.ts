/**
 * The first seconds after a member dies (issue #12, member down p99): until the reputation
 * window holds none of its blocks (excludeRounds + windowRounds rounds) the dead member kept
 * its turns and each one timed out. With the failed rounds recorded in the committed chain
 * (a block whose parent is not from the round before follows a TC: leader-election.ts) the
 * leader choice leaves it out a few rounds after its first failed turn. Three members die
 * one after another (each comes back before the next dies), at points that put their turns
 * at different places of the shuffled cycle; the txs submitted in the 1.5 s after each death
 * are final sooner at p99, and fewer rounds time out there.
 */
import t from 'tap'
import type { CoreAction } from '../../src/ordering/consensus-core.js'
import { expectRunOk } from './expect-run.js'
import { Simulation, type FaultProfile, type ScriptStep, type SimOptions } from './simulation.js'

const calm: Partial<FaultProfile> = { dropP: 0, dupP: 0, longDelayP: 0, maxDelayMs: 10, crashes: 0, partitions: 0 }
/** who dies when; each is back 5 s later */
const DEATHS = [{ who: 2, at: 2000 }, { who: 1, at: 9_013 }, { who: 3, at: 16_027 }]
const DOWN_FOR = 5000
/** the txs measured: submitted this long after a death */
const WINDOW_MS = 1500
const SUBMIT_FROM = 500
const SUBMIT_EVERY = 10
const END = 24_000

interface Run { latencies: number[], healthy: number[], timedOut: number, rounds: number }

function inWindow (at: number): boolean {
  return DEATHS.some((d) => at >= d.at && at < d.at + WINDOW_MS)
}

function run (t: Parameters<typeof expectRunOk>[0], options: Partial<SimOptions>): Run {
  const script: ScriptStep[] = []
  for (const { who, at } of DEATHS) script.push({ at, action: 'crash', who }, { at: at + DOWN_FOR, action: 'restart', who })
  for (let at = SUBMIT_FROM; at < END - 2000; at += SUBMIT_EVERY) script.push({ at, action: 'submit', who: 0 })
  const latencies: number[] = []
  const healthy: number[] = []
  let timedOut = 0
  let rounds = 0
  const sim = new Simulation({
    seed: 11,
    byzantine: [],
    faults: calm,
    txCount: 0,
    faultPhaseMs: END,
    script,
    hooks: {
      afterStep: (sim, node, _event, actions: readonly CoreAction[]) => {
        if (node !== 0) return
        for (const a of actions) {
          // The simulator numbers txs in submit order (the last 8 hex digits of a chunk digest).
          if (a.type === 'commit') {
            for (const { block } of a.blocks) {
              for (const digest of block.header.chunkDigests) {
                const submittedAt = SUBMIT_FROM + SUBMIT_EVERY * parseInt(Buffer.from(digest).toString('hex').slice(-8), 16)
                if (inWindow(submittedAt)) latencies.push(sim.now - submittedAt)
                else if (submittedAt < DEATHS[0]!.at) healthy.push(sim.now - submittedAt)
              }
            }
          }
          if (a.type === 'enterRound' && a.via !== 'start' && inWindow(sim.now)) {
            rounds++
            if (a.via === 'tc') timedOut++
          }
        }
      }
    },
    ...options
  })
  expectRunOk(t, sim.run())
  return { latencies, healthy, timedOut, rounds }
}

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(0.99 * (xs.length - 1))]!

t.test('a member dies: its failed turns leave it out within a few rounds, and the txs of the next 1.5 s are final sooner', async (t) => {
  const withEvidence = run(t, {})
  // The same committee judging members by the blocks they authored alone (failed rounds ignored).
  const authoredOnly = run(t, { leaderElection: { windowRounds: 12, excludeRounds: 4, probeEvery: 64, failureRounds: 0 } })
  const tail = p99(withEvidence.latencies)
  const before = p99(authoredOnly.latencies)
  t.comment(`healthy p99 ${p99(withEvidence.healthy)} ms; after each death: p99 submit -> final ${tail} ms with failed rounds as evidence, ${before} ms without; rounds timed out ${withEvidence.timedOut} of ${withEvidence.rounds} against ${authoredOnly.timedOut} of ${authoredOnly.rounds}`)
  t.ok(withEvidence.latencies.length >= 3 * WINDOW_MS / SUBMIT_EVERY - 3, `${withEvidence.latencies.length} txs of the windows final`)
  t.ok(withEvidence.timedOut < authoredOnly.timedOut, 'fewer rounds time out after a death')
  t.ok(tail < 0.75 * before, `p99 falls by a quarter at least (${tail} against ${before} ms)`)
})
