/**
 * `npm run lab:followers -- [--followers 8] [--regions 3] [--sentries 4] [--duration S] [--tps N]`:
 * 4 members and K followers, each in its own network namespace, spread over regions with a
 * one-way delay between them (20 / 35 / 50 ms +- 5 ms for regions 0-1 / 1-2 / 0-2; the
 * userspace delay relay, as this kernel has no sch_netem). Member i and follower k sit in
 * region i mod R and k mod R. The first `--sentries` followers dial every member, the
 * others only two followers before them (public-lab.ts). Load goes to the followers only;
 * every follower streams every rollup from height 0 with verified slices. Prints the
 * report (netns/follower-scenario.ts) and exits 1 unless every acknowledged tx is final on
 * every follower and every follower delivered each height exactly once. Always removes the
 * namespaces (also on Ctrl-C).
 */
import { Command, InvalidArgumentError } from 'commander'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NetLab, probeNetnsSupport, PublicLab, runFollowerScenario } from './index.js'

const positive = (v: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number')
  return n
}
const opts = new Command()
  .option('--followers <k>', 'followers', positive, 8)
  .option('--members <n>', 'committee size', positive, 4)
  .option('--regions <r>', 'regions (1-3)', positive, 3)
  .option('--sentries <k>', 'followers that dial the members directly', positive, 4)
  .option('--duration <s>', 'seconds of load', positive, 20)
  .option('--tps <n>', 'txs per second, submitted at the followers', positive, 50)
  .option('--keep-logs', 'keep the home folder with the node logs')
  .parse().opts<{ followers: number, members: number, regions: number, sentries: number, duration: number, tps: number, keepLogs?: boolean }>()

/** one-way delay between two regions, ms */
const REGION_DELAY_MS = [[1, 20, 50], [20, 1, 35], [50, 35, 1]]

async function main (): Promise<number> {
  const support = await probeNetnsSupport()
  if (!support.ok) {
    console.error(`lab:followers: network namespaces unavailable: ${support.reason}`)
    return 2
  }
  const regions = Math.min(3, Math.max(1, Math.round(opts.regions)))
  const dir = await mkdtemp(join(tmpdir(), 'seqnode-lab-followers-'))
  const lab = await NetLab.create({ nodes: opts.members + opts.followers })
  let net: PublicLab | null = null
  const cleanup = async (): Promise<void> => {
    await net?.stop()
    await lab.destroy()
    if (opts.keepLogs !== true) await rm(dir, { recursive: true, force: true })
    else console.log(`logs kept in ${join(dir, 'logs')}`)
  }
  const onInt = (): void => { void cleanup().then(() => process.exit(130)) }
  process.once('SIGINT', onInt)
  try {
    const regionOf = (node: number): number => (node < opts.members ? node : node - opts.members) % regions
    const t0 = performance.now()
    net = await PublicLab.start(lab, {
      dir,
      chainId: 'netns-followers-run',
      members: opts.members,
      regionOf,
      shape: (a, b) => ({ delayMs: REGION_DELAY_MS[a]![b]!, jitterMs: a === b ? 0 : 5, lossPct: 0 }),
      sentries: Math.min(opts.sentries, opts.followers),
      consensus: { baseTimeoutMs: 400, maxTimeoutMs: 2000 },
      logLevel: 'warn'
    })
    console.log(`lab ${lab.id}: ${opts.members} members, ${opts.followers} followers in ${regions} region(s) (one-way ms ${JSON.stringify(REGION_DELAY_MS.slice(0, regions).map((r) => r.slice(0, regions)))}), started in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    for (const p of [...net.members, ...net.followers]) console.log(`  ${p.name.padEnd(11)} region ${regionOf(p.node)}  ${p.url}`)
    const report = await runFollowerScenario(net, { tps: opts.tps, loadMs: opts.duration * 1000, settleTimeoutMs: 60_000, log: (line) => console.log(line) })
    console.log('\nper follower: heights delivered per rollup (duplicates, missing in 0..H), acknowledged txs not seen, stream errors')
    for (const f of report.followers) {
      console.log(`  ${f.name.padEnd(11)} ${f.rollups.map((r) => `rollup ${r.rollup}: ${r.delivered} (dup ${r.duplicates}, missing ${r.missing})`).join('  ')}  txs missing ${f.txsMissing}${f.streamErrors.length > 0 ? `  errors: ${f.streamErrors.join('; ')}` : ''}`)
    }
    console.log(`\nH = ${report.targetHeight}; ${report.acknowledged} txs acknowledged by the followers (refused: ${JSON.stringify(report.rejected)}, no answer: ${report.failedSubmits}); submit -> first verified slice p50 ${report.finalMs.p50} ms, p99 ${report.finalMs.p99} ms; every follower complete ${report.settledMs === null ? 'NEVER' : `${report.settledMs} ms after the load`}; relays carried ${net.relayedChunks()} chunks`)
    console.log(report.ok ? 'OK: every tx final on every follower, every height delivered exactly once' : 'FAILED')
    return report.ok ? 0 : 1
  } finally {
    process.off('SIGINT', onInt)
    await cleanup()
  }
}

process.exitCode = await main().catch((err: unknown) => { console.error(err); return 1 })
