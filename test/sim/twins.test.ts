/**
 * Twins (Bano, Sonnino, Chursin, Perelman, Li, Ching, Malkhi: "Twins: BFT Systems Made
 * Robust", OPODIS 2021): one member runs as two instances of the honest code with one key.
 * Each instance alone is honest, so together they equivocate, double-vote and time out
 * inconsistently exactly the way real implementations do when a key is run twice. With
 * n = 4 and f = 1 the pair is the one faulty member: the three honest members must never
 * commit conflicting blocks, and they must order every tx once the network is calm.
 */
import t from 'tap'
import { expectRunOk } from './expect-run.js'
import { runSimulation, type ScriptStep, type SimResult } from './simulation.js'

/** Honest members saw the twins sign two different votes in a round: the pair did act as one faulty member. */
const equivocations = (r: SimResult): number => Object.entries(r.stats.rejects).filter(([k]) => k.startsWith('honest<-byz') && k.endsWith('CONSENSUS_EQUIVOCATION')).reduce((a, [, v]) => a + v, 0)

t.test('twins, n = 4: the seed\'s own faults', async (t) => {
  let seen = 0
  for (let seed = 1; seed <= 40; seed++) {
    const twin = seed % 4
    const result = runSimulation({ seed, twin, byzantine: [] })
    if (!expectRunOk(t, result, `seed ${seed}, r${twin} twinned`)) break
    seen += equivocations(result)
  }
  t.ok(seen > 0, `honest members refused ${seen} second votes of the twinned members`)
})

t.test('twins, n = 4: each instance in its own partition with a different quorum around it', async (t) => {
  // Addresses 0-3 are the members, 4 is the second instance of member 0. A side with an
  // instance of 0 and two honest members has a quorum of signatures: the two sides can
  // each certify, in the same rounds, blocks the other side never sees.
  const sides: number[][][] = [
    [[0, 1, 2], [4, 3]],
    [[0, 1], [4, 2, 3]],
    [[0, 3], [4, 1, 2]],
    [[0, 1, 3], [4, 2]]
  ]
  let seen = 0
  for (let seed = 1; seed <= 12; seed++) {
    const script: ScriptStep[] = []
    for (let at = 100, k = 0; at < 16_000; at += 53, k++) script.push({ at, action: 'submit', who: 1 + (k % 3) })
    sides.forEach((groups, i) => {
      script.push({ at: 1000 + i * 3500, action: 'partition', groups })
      script.push({ at: 3500 + i * 3500, action: 'heal' })
    })
    const result = runSimulation({ seed, twin: 0, byzantine: [], faults: { crashes: 0, partitions: 0 }, txCount: 0, faultPhaseMs: 16_000, script })
    if (!expectRunOk(t, result, `seed ${seed}`)) break
    seen += equivocations(result)
  }
  t.ok(seen > 0, `honest members refused ${seen} second votes of the twins`)
})
