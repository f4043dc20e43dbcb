/**
 * Runs the consensus simulator over many seeds:
 *   npm run sim -- --seeds 10000 [--from 1] [--n 4|7] [--real-crypto] [--twins] [--trace] [--jobs 2]
 * `--twins` runs member (seed mod n) as two instances with one key (Twins, test/sim/twins.test.ts)
 * and no other byzantine member, on top of each seed's network faults.
 * Seeds S..S+N-1 are spread over worker threads (one per core by default); progress and a
 * summary (seeds/s, commits, timeouts, faults injected) are printed. At the first failing
 * seed it prints the invariant, the last 200 trace lines and a replay command, and exits 1.
 * `--trace` prints every trace line of every seed (use it with one seed).
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { runSimulation, type SimResult, type SimStats } from './simulation.js'

interface Job {
  seeds: number[]
  n: number
  realCrypto: boolean
  twins: boolean
}

/** With --twins: member seed mod n runs twice with one key, and is the one faulty member. */
function twinOptions (seed: number, n: number, twins: boolean): { twin?: number, byzantine?: [] } {
  return twins ? { twin: seed % n, byzantine: [] } : {}
}

type WorkerMessage =
  | { type: 'result', seed: number, ok: boolean, stats: SimStats, failure: SimResult['failure'], traceTail: string[] }

function fail (message: string): never {
  process.stderr.write(`run-sim: ${message}\n`)
  process.exit(2)
}

function main (): void {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      n: { type: 'string', default: '4' },
      'real-crypto': { type: 'boolean', default: false },
      twins: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      jobs: { type: 'string' }
    },
    strict: true
  })
  const count = Number(values.seeds)
  const from = Number(values.from)
  const n = Number(values.n)
  if (!Number.isSafeInteger(count) || count < 1) fail(`--seeds must be a positive integer, got ${values.seeds}`)
  if (!Number.isSafeInteger(from) || from < 0 || from + count > 0xffff_ffff) fail(`--from must be an integer in 0..2^32-1, got ${values.from}`)
  if (n !== 4 && n !== 7) fail(`--n must be 4 or 7, got ${values.n}`)
  const realCrypto = values['real-crypto']
  const twins = values.twins
  const replayFlags = `${n !== 4 ? ` --n ${n}` : ''}${realCrypto ? ' --real-crypto' : ''}${twins ? ' --twins' : ''}`

  if (values.trace) {
    // One thread, every line as it happens.
    for (let seed = from; seed < from + count; seed++) {
      console.log(`--- seed ${seed}`)
      const r = runSimulation({ seed, n, realCrypto, ...twinOptions(seed, n, twins), liveTrace: (line) => console.log(line) })
      report({ type: 'result', seed, ok: r.ok, stats: r.stats, failure: r.failure, traceTail: [] })
      if (!r.ok) {
        console.error(`\nFAIL seed ${seed}: ${r.failure!.message}\nreplay: npm run sim -- --seeds 1 --from ${seed}${replayFlags} --trace`)
        process.exit(1)
      }
    }
    printSummary()
    return
  }

  const jobs = Math.max(1, Math.min(Number(values.jobs ?? availableParallelism()), count))
  console.log(`simulating seeds ${from}..${from + count - 1} (n=${n}, ${realCrypto ? 'ed25519' : 'stand-in crypto'}${twins ? ', twins' : ''}) on ${jobs} thread${jobs === 1 ? '' : 's'}`)
  const workers: Worker[] = []
  let finished = 0
  let stopped = false
  const progressEvery = Math.max(1, Math.min(1000, Math.ceil(count / 10)))
  for (let w = 0; w < jobs; w++) {
    const seeds: number[] = []
    for (let s = from + w; s < from + count; s += jobs) seeds.push(s)
    const worker = new Worker(workerBootstrap, { eval: true, workerData: { seeds, n, realCrypto, twins } satisfies Job })
    workers.push(worker)
    worker.on('message', (m: WorkerMessage) => {
      if (stopped) return
      report(m)
      finished++
      if (!m.ok) {
        stopped = true
        for (const other of workers) void other.terminate()
        console.error(`\nFAIL seed ${m.seed} after ${finished} seeds: invariant ${m.failure!.invariant}`)
        console.error(m.failure!.message)
        console.error(`\nlast ${m.traceTail.length} trace lines:`)
        for (const line of m.traceTail) console.error(line)
        console.error(`\nfault profile: ${describeFaults(m.stats)}`)
        console.error(`replay: npm run sim -- --seeds 1 --from ${m.seed}${replayFlags} --trace`)
        process.exitCode = 1
        return
      }
      if (finished % progressEvery === 0 && finished < count) {
        const s = (performance.now() - started) / 1000
        console.log(`${finished} / ${count} seeds, ${s.toFixed(1)} s, ${(finished / s).toFixed(1)} seeds/s`)
      }
      if (finished === count) printSummary()
    })
    worker.on('error', (err) => {
      if (stopped) return
      stopped = true
      console.error('worker crashed:', err)
      for (const other of workers) void other.terminate()
      process.exitCode = 1
    })
  }
}

/** Workers do not inherit the tsx loader from `--import`: register it, then load this file. */
const workerBootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`

const started = performance.now()
const totals = {
  seeds: 0,
  events: 0,
  messages: 0,
  virtualMs: 0,
  commits: 0,
  txs: 0,
  blocks: 0,
  tcRounds: 0,
  dropped: 0,
  duplicated: 0,
  partitions: 0,
  crashes: 0,
  midStepCrashes: 0,
  byzantineSeeds: 0,
  fetches: 0,
  fetchedBlocks: 0,
  syncedBlocks: 0,
  emptyCommitted: 0,
  lateTimeouts: 0,
  lateTimeoutSeeds: [] as number[],
  settleMs: [] as number[],
  behaviours: new Map<string, number>(),
  rejects: new Map<string, number>()
}

function report (m: WorkerMessage): void {
  const s = m.stats
  totals.seeds++
  totals.events += s.events
  totals.messages += s.messages
  totals.virtualMs += s.virtualMs
  totals.commits += s.committedHeights
  totals.txs += s.txs
  totals.blocks += s.blocksProposed
  totals.tcRounds += s.tcRounds
  totals.dropped += s.dropped
  totals.duplicated += s.duplicated
  totals.partitions += s.partitions
  totals.crashes += s.crashes
  totals.midStepCrashes += s.midStepCrashes
  totals.fetches += s.fetches
  totals.fetchedBlocks += s.fetchedBlocks
  totals.syncedBlocks += s.syncedBlocks
  totals.emptyCommitted += s.emptyBlocksCommitted
  totals.lateTimeouts += s.lateTimeouts
  if (s.lateTimeouts > 0 && totals.lateTimeoutSeeds.length < 10) totals.lateTimeoutSeeds.push(s.seed)
  if (s.allCommittedAt >= 0) totals.settleMs.push(s.allCommittedAt - s.faultPhaseMs)
  if (s.byzantine.length > 0) totals.byzantineSeeds++
  for (const b of s.byzantine) {
    for (const name of b.behaviours) totals.behaviours.set(`${name} (replicas)`, (totals.behaviours.get(`${name} (replicas)`) ?? 0) + 1)
    for (const [name, c] of Object.entries(b.counts)) totals.behaviours.set(`${name} (messages)`, (totals.behaviours.get(`${name} (messages)`) ?? 0) + c)
  }
  for (const [k, v] of Object.entries(s.rejects)) totals.rejects.set(k, (totals.rejects.get(k) ?? 0) + v)
}

function describeFaults (s: SimStats): string {
  const byz = s.byzantine.map((b) => `r${b.id}: ${b.behaviours.join('+')}`).join(', ')
  return `fault phase ${s.faultPhaseMs} ms, ${s.dropped} dropped, ${s.duplicated} duplicated, ${s.partitions} partitions, ${s.crashes} crashes (${s.midStepCrashes} mid-step), byzantine: ${byz === '' ? 'none' : byz}`
}

function printSummary (): void {
  const seconds = (performance.now() - started) / 1000
  const t = totals
  const settle = [...t.settleMs].sort((a, b) => a - b)
  const pct = (p: number): number => settle.length === 0 ? 0 : settle[Math.min(settle.length - 1, Math.floor(p * settle.length))]!
  console.log(`\nall ${t.seeds} seeds passed in ${seconds.toFixed(1)} s (${(t.seeds / seconds).toFixed(1)} seeds/s)`)
  console.log(`  virtual time ${(t.virtualMs / 3_600_000).toFixed(1)} h, ${t.events} events, ${t.messages} messages`)
  console.log(`  ${t.txs} txs, ${t.commits} heights committed (${t.emptyCommitted} empty), ${t.blocks} blocks proposed, ${t.tcRounds} rounds entered by timeout certificate`)
  console.log(`  idle: ${t.lateTimeouts} timeouts sent after the chain had nothing left to do${t.lateTimeoutSeeds.length > 0 ? ` (seeds ${t.lateTimeoutSeeds.join(', ')})` : ''}`)
  console.log(`  catch-up: ${t.fetches} block fetches (${t.fetchedBlocks} blocks received), ${t.syncedBlocks} committed blocks synced from peers`)
  console.log(`  faults: ${t.dropped} dropped, ${t.duplicated} duplicated, ${t.partitions} partitions, ${t.crashes} crashes (${t.midStepCrashes} mid-step), ${t.byzantineSeeds} seeds with byzantine replicas`)
  console.log(`  after the faults stop, all txs final everywhere in: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${settle[settle.length - 1] ?? 0} ms`)
  if (t.behaviours.size > 0) console.log(`  byzantine: ${[...t.behaviours].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`)
  if (t.rejects.size > 0) {
    console.log('  rejects by honest/byzantine receiver <- sender:')
    for (const [k, v] of [...t.rejects].sort((a, b) => b[1] - a[1])) console.log(`    ${String(v).padStart(8)}  ${k}`)
  }
}

if (!isMainThread) {
  const job = workerData as Job
  for (const seed of job.seeds) {
    const r = runSimulation({ seed, n: job.n, realCrypto: job.realCrypto, ...twinOptions(seed, job.n, job.twins) })
    parentPort!.postMessage({ type: 'result', seed, ok: r.ok, stats: r.stats, failure: r.failure, traceTail: r.ok ? [] : r.traceTail } satisfies WorkerMessage)
  }
} else {
  main()
}
