/**
 * Random seeds of the consensus simulator (test/sim/simulation.ts) with the seed's own
 * fault profile: delays, drops, duplicates, partitions, crashes (some in the middle of a
 * step) and up to f Byzantine replicas. `npm run sim` runs many more.
 */
import t from 'tap'
import { expectRunOk } from './expect-run.js'
import { runSimulation } from './simulation.js'

// The suite's share of the campaign; `npm run sim -- --seeds N` runs as many as you like.
t.test('n = 4: 150 seeds', async (t) => {
  for (let seed = 1; seed <= 150; seed++) {
    if (!expectRunOk(t, runSimulation({ seed }))) break
  }
})

t.test('n = 7: 25 seeds', async (t) => {
  for (let seed = 1; seed <= 25; seed++) {
    if (!expectRunOk(t, runSimulation({ seed, n: 7 }))) break
  }
})

t.test('a seed replays identically', async (t) => {
  const a = runSimulation({ seed: 4242 })
  const b = runSimulation({ seed: 4242 })
  t.same(b.stats, a.stats, 'same events, messages, faults and commits')
  t.same(b.traceTail, a.traceTail, 'same trace')
})
