/**
 * Long crash-consistency run (not part of the suite):
 *   node --import ./src/polyfills/register.js --import tsx test/durability/run-kills.ts --kills 1000 [--seed N] [--max-run-ms 600]
 * Prints one line per kill and a summary; exit status 1 on any violation, with the seed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runKillCampaign } from './crash-harness.js'

const { values } = parseArgs({ options: { kills: { type: 'string', default: '1000' }, seed: { type: 'string', default: String(Date.now() % 1_000_000) }, 'max-run-ms': { type: 'string', default: '600' } } })
const seed = Number(values.seed)
const dir = await mkdtemp(join(tmpdir(), 'seqnode-kills-'))
let bad = 0
const result = await runKillCampaign({
  dir,
  kills: Number(values.kills),
  seed,
  maxRunMs: Number(values['max-run-ms']),
  onKill: (r) => {
    if (r.violations.length > 0) bad++
    console.log(`kill ${r.kill} (${r.when} +${r.delayMs} ms): head ${r.head}, ${r.acked} acked, ${r.walEntries} in WAL${r.violations.length > 0 ? ` VIOLATIONS: ${r.violations.join('; ')}` : ''}`)
  }
})
console.log(`seed ${seed}: ${result.kills.length} kills, ${bad} with violations; ${result.acked} txs acknowledged, final head ${result.finalHead}, ` +
  `final check ${result.finalViolations.length === 0 ? 'clean' : result.finalViolations.join('; ')}; ${(result.ms / 1000).toFixed(1)} s`)
await rm(dir, { recursive: true, force: true })
process.exit(bad > 0 || result.finalViolations.length > 0 ? 1 : 0)
