/** Test helper: one assertion per simulated run, with the seed, invariant and trace tail on failure. */
import type { SimResult } from './simulation.js'

interface Target {
  pass (message: string): boolean
  fail (message: string, extra: Record<string, unknown>): boolean
}

export function expectRunOk (t: Target, result: SimResult, name = `seed ${result.stats.seed}`): boolean {
  if (result.ok) return t.pass(`${name}: ${result.stats.committedHeights} heights, ${result.stats.txs} txs, all safe and final`)
  const f = result.failure!
  const flags = `${result.stats.n !== 4 ? ` --n ${result.stats.n}` : ''}${result.stats.realCrypto ? ' --real-crypto' : ''}`
  return t.fail(`${name}: invariant ${f.invariant}`, {
    message: f.message,
    replay: `npm run sim -- --seeds 1 --from ${result.stats.seed}${flags} --trace`,
    trace: result.traceTail.join('\n')
  })
}
