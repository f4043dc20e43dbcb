/**
 * kill -9 at seeded random moments while the node's writers (WAL group commit, safety
 * state, pending blocks, final batches with their indexes) run on a real level folder; after
 * every kill the folder must pass the invariants of crash-harness.ts, and after a final
 * drain every acknowledged tx is final exactly once. Longer runs: test/durability/run-kills.ts.
 */
import t from 'tap'
import { makeTempDir } from '../helpers/temp-dir.js'
import { runKillCampaign } from './crash-harness.js'

const KILLS = 16 // ~1.5 s each on a loaded 2-core machine; run-kills.ts does thousands
const SEED = 20_251

t.test(`${KILLS} kill -9 at random moments (seed ${SEED}): every reopen is consistent, nothing acknowledged is lost`, async (t) => {
  const tmp = await makeTempDir('seqnode-kills-')
  t.teardown(tmp.remove)
  const result = await runKillCampaign({ dir: tmp.dir, kills: KILLS, seed: SEED, maxRunMs: 600 })
  const bad = result.kills.filter((k) => k.violations.length > 0)
  t.same(bad.map((k) => `kill ${k.kill} (${k.when} +${k.delayMs} ms): ${k.violations.join('; ')}`), [], `all ${KILLS} reopens pass the invariants`)
  t.same(result.finalViolations, [], 'after the drain every acknowledged tx is final exactly once and the WAL is empty')
  t.ok(result.acked > 0, `${result.acked} txs acknowledged`)
  const duringWrites = result.kills.filter((k) => k.when === 'running').length
  t.ok(duringWrites >= KILLS / 2, `${duringWrites} kills landed under steady writes, the rest from spawn on`)
  t.ok(result.finalHead > 0, `final head ${result.finalHead}`)
  t.comment(`${KILLS} kills in ${(result.ms / 1000).toFixed(1)} s; ${result.acked} acknowledged txs; final head ${result.finalHead}`)
})
