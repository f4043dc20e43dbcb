/**
 * `npm run partition -- [--duration S] [--tps N]`: a longer partition scenario on a lab of
 * four namespaced nodes under steady load. The time is split into seven equal phases:
 * calm, node 3 isolated, healed, a 2|2 split, healed, the current leader isolated, healed.
 * Heights of every node are sampled every 250 ms; it prints them per
 * second, then per phase: heights gained, the longest stall of each node, and how long
 * each node took after a heal to reach the height the others had at the heal. Exits 1 on
 * a divergence (two nodes serving different hashes at one height) or when a node never
 * caught up, and always removes the namespaces (also on Ctrl-C).
 */
import { Command, InvalidArgumentError } from 'commander'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LoadGenerator } from '../devnet/load.js'
import { NetLab, NetnsCommittee, probeNetnsSupport } from './index.js'

const positive = (v: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number')
  return n
}
const opts = new Command()
  .option('--duration <s>', 'total scenario length in seconds (7 phases)', positive, 70)
  .option('--tps <n>', 'load through the APIs, txs per second', positive, 20)
  .option('--keep-logs', 'keep the home folder with the node logs')
  .parse().opts<{ duration: number, tps: number, keepLogs?: boolean }>()

interface Phase {
  name: string
  apply: (lab: NetLab, committee: NetnsCommittee) => Promise<void>
  /** a heal: catch-up times are measured from its start */
  heal?: boolean
}

const phases: Phase[] = [
  { name: 'calm', apply: async () => {} },
  { name: 'node-3 isolated', apply: async (lab) => { await lab.isolate([3]) } },
  { name: 'healed', apply: async (lab) => { await lab.heal() }, heal: true },
  { name: '2|2 split {0,1}|{2,3}', apply: async (lab) => { await lab.partition([[0, 1], [2, 3]]) } },
  { name: 'healed', apply: async (lab) => { await lab.heal() }, heal: true },
  {
    name: 'leader isolated',
    apply: async (lab, committee) => {
      const leader = (await committee.status(0)).leader
      await lab.isolate([leader])
    }
  },
  { name: 'healed', apply: async (lab) => { await lab.heal() }, heal: true }
]

interface Sample { t: number, heights: number[] }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const fmt = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function main (): Promise<number> {
  const support = await probeNetnsSupport()
  if (!support.ok) {
    console.error(`partition: network namespaces unavailable: ${support.reason}`)
    return 2
  }
  const dir = await mkdtemp(join(tmpdir(), 'seqnode-partition-'))
  const lab = await NetLab.create({ nodes: 4 })
  let committee: NetnsCommittee | null = null
  let load: LoadGenerator | null = null
  // Ctrl-C: stop gracefully; the lab's own handler removes the namespaces if we die anyway
  const onInt = (): void => { void cleanup().then(() => process.exit(130)) }
  const cleanup = async (): Promise<void> => {
    await load?.stop()
    await committee?.stop()
    await lab.destroy()
    if (opts.keepLogs !== true) await rm(dir, { recursive: true, force: true })
    else console.log(`logs kept in ${join(dir, 'logs')}`)
  }
  process.once('SIGINT', onInt)
  try {
    console.log(`lab ${lab.id}: nodes ${lab.nodes.map((n) => `${n.ns}=${n.addr}`).join(' ')}`)
    committee = await NetnsCommittee.start(lab, { dir, chainId: 'netns-partition-run', consensus: { baseTimeoutMs: 200, maxTimeoutMs: 1000 }, logLevel: 'warn' })
    load = new LoadGenerator(committee.members.map((m) => m.url), committee.genesis.chainId, [1, 2])
    load.start(opts.tps)
    return await scenario(lab, committee, load)
  } finally {
    process.off('SIGINT', onInt)
    await cleanup()
  }
}

async function scenario (lab: NetLab, committee: NetnsCommittee, load: LoadGenerator): Promise<number> {
  const phaseMs = opts.duration * 1000 / phases.length
  const t0 = performance.now()
  const samples: Sample[] = []
  const starts: Array<{ phase: Phase, at: number, heights: number[] }> = []
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      samples.push({ t: performance.now() - t0, heights: (await committee.heights()).map((h) => h ?? -1) })
      await sleep(250)
    }
  })()
  for (const phase of phases) {
    await phase.apply(lab, committee)
    const at = performance.now() - t0
    starts.push({ phase, at, heights: (await committee.heights()).map((h) => h ?? -1) })
    console.log(`${fmt(at).padStart(8)}  ${phase.name}${lab.rules().length > 0 ? `  (${lab.rules().length} blackhole rules)` : ''}`)
    await sleep(phaseMs)
  }
  sampling = false
  await sampler

  console.log('\nheights per node, once a second:')
  let nextPrint = 0
  for (const s of samples) {
    if (s.t < nextPrint) continue
    nextPrint = Math.floor(s.t / 1000) * 1000 + 1000
    console.log(`${fmt(s.t).padStart(8)}  ${s.heights.map((h) => String(h).padStart(5)).join(' ')}`)
  }

  console.log('\nper phase: heights gained per node, longest stall per node, catch-up after a heal:')
  let failed = false
  for (const [i, { phase, at }] of starts.entries()) {
    const end = starts[i + 1]?.at ?? samples.at(-1)!.t
    const inPhase = samples.filter((s) => s.t >= at && s.t <= end)
    if (inPhase.length === 0) continue
    const gained = inPhase[0]!.heights.map((h, n) => inPhase.at(-1)!.heights[n]! - h)
    const stalls = gained.map((_, n) => longestStall(inPhase, n))
    let line = `  ${phase.name.padEnd(24)} gained ${gained.join('/')}  longest stall ${stalls.map(fmt).join('/')}`
    if (phase.heal === true) {
      // from the heal: each node reaches the highest height anyone had at the heal
      const target = Math.max(...starts[i]!.heights)
      const catchUp = starts[i]!.heights.map((_, n) => inPhase.find((s) => s.heights[n]! >= target)?.t)
      if (catchUp.some((c) => c === undefined)) failed = true
      const resumed = inPhase.find((s) => Math.min(...s.heights) > target)?.t
      line += `  reached ${target}: ${catchUp.map((c) => c === undefined ? 'never' : fmt(c - at)).join('/')}; all past it after ${resumed === undefined ? 'never' : fmt(resumed - at)}`
    }
    console.log(line)
  }

  const heights = (await committee.heights()).map((h) => h ?? -1)
  const upTo = Math.min(...heights)
  const chains = await Promise.all(committee.members.map(async (m) => await committee.batchHashes(m.index, upTo)))
  const diverging = chains[0]!.flatMap((hash, h) => chains.some((c) => c[h] !== hash) ? [h] : [])
  console.log(`\nagreement: ${diverging.length === 0 ? `all 4 nodes serve the same batch hash at heights 0..${upTo}` : `DIVERGENCE at heights ${diverging.slice(0, 10).join(', ')}`}`)
  console.log(`load: ${load.stats.acknowledged} acknowledged, ${load.stats.failed} failed submissions`)
  if (failed) console.log('a node never caught up after a heal')
  return diverging.length > 0 || failed ? 1 : 0
}

/** Longest time node `n` spent at one height within the samples. */
function longestStall (samples: Sample[], n: number): number {
  let longest = 0
  let since = samples[0]!.t
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.heights[n] !== samples[i - 1]!.heights[n]) since = samples[i]!.t
    longest = Math.max(longest, samples[i]!.t - since)
  }
  return longest
}

process.exitCode = await main().catch((err: unknown) => { console.error(err); return 1 })
