/**
 * Chunk dissemination throughput of the committee transport, `direct` against `gossipsub`:
 * 4 members as 4 processes on 127.0.0.1, each publishing 32 KiB chunks as fast as
 * publishChunk's backpressure allows for RUN_MS, 3 runs per mode (median reported), plus the
 * consensus-message round trip (member 0 -> member 1 -> member 0), idle and under load.
 *
 *   node --import ./src/polyfills/register.js --import tsx bench/p2p/chunk-throughput.ts
 *
 * Writes bench/results/p2p-chunk-throughput.md and .json.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { bytesToHex, generateKeyPair } from '../../src/crypto/index.js'
import type { WorkerCommand, WorkerReply } from './chunk-worker.js'

const MEMBERS = 4
const RUNS = 3
const RUN_MS = Number(process.env.RUN_MS ?? 10_000)
const GRACE_MS = 1500
const CHUNK_BYTES = 32 * 1024
const IDLE_PINGS = 1000
const MODES = (process.env.MODES?.split(',') ?? ['direct', 'gossipsub']) as Array<'direct' | 'gossipsub'>
type Mode = typeof MODES[number]

const workerPath = fileURLToPath(new URL('./chunk-worker.ts', import.meta.url))
const resultsBase = fileURLToPath(new URL('../results/p2p-chunk-throughput', import.meta.url))

class Worker {
  readonly #child: ChildProcess
  readonly #waiting: Array<(reply: WorkerReply) => void> = []

  constructor () {
    this.#child = fork(workerPath, [], { execArgv: ['--import', './src/polyfills/register.js', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.#child.on('message', (reply: WorkerReply) => { this.#waiting.shift()?.(reply) })
    this.#child.on('exit', (code) => { if (code !== 0) throw new Error(`worker exited with ${code}`) })
  }

  async call<R extends WorkerReply['reply']> (command: WorkerCommand): Promise<Extract<WorkerReply, { reply: R }>> {
    const reply = new Promise<WorkerReply>((resolve) => { this.#waiting.push(resolve) })
    this.#child.send(command)
    return reply as Promise<Extract<WorkerReply, { reply: R }>>
  }

  async exit (): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.send({ cmd: 'exit' } satisfies WorkerCommand)
    await exited
  }
}

function percentile (values: number[], p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

const median = (values: number[]): number => percentile(values, 0.5)
const round = (value: number, digits = 1): number => Number(value.toFixed(digits))

interface RunResult { chunksPerSec: number, mbPerSec: number, publishedPerSec: number, deliveryRatio: number, dropped: number, rttP50: number, rttP99: number, rssMb: number }
interface ModeResult { mode: Mode, runs: RunResult[], idleRttP50: number, idleRttP99: number, idleRttLost: number }

async function benchMode (mode: Mode): Promise<ModeResult> {
  const keys = Array.from({ length: MEMBERS }, () => generateKeyPair())
  const workers = keys.map(() => new Worker())
  try {
    const inits = await Promise.all(workers.map(async (w, index) => w.call<'init'>({
      cmd: 'init', index, mode, committeeKeys: keys.map((k) => bytesToHex(k.publicKey)), seed: bytesToHex(keys[index]!.seed)
    })))
    await Promise.all(workers.map(async (w, index) => w.call<'ready'>({
      cmd: 'peers', peers: inits.map((r, i) => ({ index: i, addrs: r.listenAddrs })).filter((p) => p.index !== index)
    })))
    const idle = await workers[0]!.call<'ping'>({ cmd: 'ping', to: 1, count: IDLE_PINGS })
    const runs: RunResult[] = []
    for (let run = 0; run < RUNS; run++) {
      const startAt = Date.now() + 300
      const replies = await Promise.all(workers.map(async (w, index) => w.call<'run'>({
        cmd: 'run', run, startAt, durationMs: RUN_MS, graceMs: GRACE_MS, chunkBytes: CHUNK_BYTES, pingTo: index === 0 ? 1 : null
      })))
      const inWindow = replies.reduce((sum, r) => sum + r.receivedInWindow, 0)
      const total = replies.reduce((sum, r) => sum + r.receivedTotal, 0)
      const published = replies.reduce((sum, r) => sum + r.published, 0)
      const result: RunResult = {
        chunksPerSec: round(inWindow / (RUN_MS / 1000)),
        mbPerSec: round(inWindow * CHUNK_BYTES / 1e6 / (RUN_MS / 1000), 2),
        publishedPerSec: round(published / (RUN_MS / 1000)),
        deliveryRatio: round(total / (published * (MEMBERS - 1)), 4),
        dropped: replies.reduce((sum, r) => sum + r.dropped, 0),
        rttP50: round(percentile(replies[0]!.rttMs, 0.5), 2),
        rttP99: round(percentile(replies[0]!.rttMs, 0.99), 2),
        rssMb: Math.max(...replies.map((r) => r.rssMb))
      }
      console.log(mode, `run ${run + 1}/${RUNS}`, JSON.stringify(result))
      runs.push(result)
    }
    return {
      mode,
      runs,
      idleRttP50: round(percentile(idle.rttMs, 0.5), 3),
      idleRttP99: round(percentile(idle.rttMs, 0.99), 3),
      idleRttLost: idle.rttMs.filter((v) => !Number.isFinite(v)).length
    }
  } finally {
    await Promise.all(workers.map(async (w) => w.exit()))
  }
}

const started = Date.now()
const results: ModeResult[] = []
for (const mode of MODES) results.push(await benchMode(mode))
const elapsedS = Math.round((Date.now() - started) / 1000)

const summary = results.map((r) => ({
  mode: r.mode,
  chunksPerSec: median(r.runs.map((x) => x.chunksPerSec)),
  mbPerSec: median(r.runs.map((x) => x.mbPerSec)),
  publishedPerSec: median(r.runs.map((x) => x.publishedPerSec)),
  deliveryRatio: Math.min(...r.runs.map((x) => x.deliveryRatio)),
  dropped: r.runs.reduce((sum, x) => sum + x.dropped, 0),
  loadedRttP50: median(r.runs.map((x) => x.rttP50)),
  loadedRttP99: median(r.runs.map((x) => x.rttP99)),
  idleRttP50: r.idleRttP50,
  idleRttP99: r.idleRttP99,
  rssMb: Math.max(...r.runs.map((x) => x.rssMb))
}))
const direct = summary.find((s) => s.mode === 'direct')!
const gossip = summary.find((s) => s.mode === 'gossipsub')!
const ratio = round(direct.chunksPerSec / gossip.chunksPerSec, 2)
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}`
const command = 'node --import ./src/polyfills/register.js --import tsx bench/p2p/chunk-throughput.ts'
console.log(JSON.stringify({ summary, ratio, elapsedS }, null, 2))

writeFileSync(`${resultsBase}.json`, JSON.stringify({ date: new Date().toISOString(), machine, command, runMs: RUN_MS, chunkBytes: CHUNK_BYTES, results, summary, ratio }, null, 2) + '\n')
const row = (s: typeof summary[number]): string =>
  `| ${s.mode} | ${s.chunksPerSec} | ${s.mbPerSec} | ${s.publishedPerSec} | ${s.deliveryRatio} | ${s.dropped} | ${s.idleRttP50} / ${s.idleRttP99} | ${s.loadedRttP50} / ${s.loadedRttP99} | ${s.rssMb} |`
const runRows = results.flatMap((r) => r.runs.map((x, i) => `| ${r.mode} | ${i + 1} | ${x.chunksPerSec} | ${x.mbPerSec} | ${x.publishedPerSec} | ${x.deliveryRatio} | ${x.dropped} | ${x.rttP50} / ${x.rttP99} |`))
writeFileSync(`${resultsBase}.md`, `# p2p chunk throughput: direct vs gossipsub

- Command: \`${command}\` (${elapsedS} s)
- Date: ${new Date().toISOString()}
- Machine: ${machine}
- Setup: ${MEMBERS} committee members, one process each, on 127.0.0.1 (TCP, noise, yamux). Every member
  publishes ${CHUNK_BYTES / 1024} KiB chunks as fast as \`publishChunk\`'s backpressure allows (yielding to
  the event loop between chunks) for ${RUN_MS / 1000} s; ${RUNS} runs per mode, the median is reported.
  *Delivered* counts chunks handed to a validator (which accepts) at any receiver within the run
  window; each published chunk should be delivered ${MEMBERS - 1} times. Round trip: member 0 sends a
  200-byte consensus message to member 1, which echoes it: ${IDLE_PINGS} in a row with no load (idle),
  and one every 20 ms during the runs (loaded).

| mode | delivered chunks/s | delivered MB/s | published chunks/s | delivery ratio (min) | chunks dropped | RTT idle p50 / p99 ms | RTT loaded p50 / p99 ms | max RSS MB |
|---|---|---|---|---|---|---|---|---|
${row(direct)}
${row(gossip)}

**direct / gossipsub delivered throughput: ${ratio}x.**

## Runs

| mode | run | delivered chunks/s | MB/s | published/s | delivery ratio | dropped | RTT loaded p50 / p99 ms |
|---|---|---|---|---|---|---|---|
${runRows.join('\n')}
`)
console.log(`wrote ${resultsBase}.md`)
