import { runSimulation } from './simulation.js'
const syncPollMs = Number(process.argv[2] ?? '0')
const script = [{ at: 500, action: 'crash' as const, who: 3 }, { at: 50_000, action: 'restart' as const, who: 3 }]
for (let t = 1000; t < 45_000; t += 60) script.push({ at: t, action: 'submit' as any, who: undefined as any })
script.push({ at: 51_000, action: 'submit' as any, who: 0 as any })
const r = runSimulation({ seed: 7, byzantine: [], faults: { dropP: 0, dupP: 0, crashes: 0, partitions: 0, longDelayP: 0, maxDelayMs: 10 }, txCount: 0, faultPhaseMs: 55_000, script, syncPollMs, maxTxsPerBlock: 1 })
console.log(r.ok, r.failure?.message, r.stats.committedHeights, r.stats.allCommittedAt, r.stats.fetches, r.stats.fetchedBlocks, r.stats.syncedBlocks)
if (!r.ok) console.log(r.traceTail.slice(-30).join('\n'))
if (process.argv[3] === 'trace') {
  const lines: string[] = []
  runSimulation({ seed: 7, byzantine: [], faults: { dropP: 0, dupP: 0, crashes: 0, partitions: 0, longDelayP: 0, maxDelayMs: 10 }, txCount: 0, faultPhaseMs: 55_000, script, syncPollMs, maxTxsPerBlock: 1, liveTrace: (l) => lines.push(l) })
  console.log(lines.filter((l) => / r3 /.test(l) && /(restart|recv-blocks|fetch|commit|synced|enter)/.test(l)).slice(0, 60).join('\n'))
}
