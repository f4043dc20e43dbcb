/**
 * `npm run devnet`: one command to a running local sequencer. Creates genesis and keys
 * under the data folder (once; `--fresh` starts over), starts the node as its own process,
 * drives a light load through the public API and shows height, throughput and latency.
 * Ctrl-C (or --duration) stops everything it started.
 *
 * Until multi-node ordering lands the committee has one member (docs/ARCHITECTURE.md).
 */
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initHome } from '../src/node/init-home.js'
import { LoadGenerator } from './load.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { SliceWatcher } from './slice-watcher.js'
import { renderStatus, type DevnetSnapshot } from './status-view.js'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '.devnet' },
    fresh: { type: 'boolean', default: false },
    load: { type: 'string', default: '20' },
    duration: { type: 'string' },
    rollups: { type: 'string', default: 'token,kv' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false }
  }
})

if (args.help) {
  console.log(`usage: npm run devnet -- [--data DIR] [--fresh] [--load TPS] [--duration S] [--rollups token,kv] [--json]
  --data DIR     data folder (default .devnet); a second start resumes from it
  --fresh        delete the data folder first
  --load TPS     transactions per second sent through the API (default 20, 0 = none)
  --duration S   run S seconds, then stop everything and exit 0 (default: until Ctrl-C)
  --rollups L    rollups of a new genesis (default token,kv)
  --json         one JSON status line per second instead of the live view`)
  process.exit(0)
}

const dataDir = resolve(args.data)
const tps = Number(args.load)
const durationS = args.duration === undefined ? undefined : Number(args.duration)
if (!Number.isFinite(tps) || tps < 0) throw new Error('--load must be a non-negative number')
if (durationS !== undefined && (!Number.isFinite(durationS) || durationS <= 0)) throw new Error('--duration must be a positive number of seconds')

async function main (): Promise<void> {
  if (args.fresh) await rm(dataDir, { recursive: true, force: true })
  if (!existsSync(join(dataDir, 'genesis.json'))) {
    await initHome({ dir: dataDir, chainId: 'devnet-1', nodes: 1, rollups: args.rollups!.split(','), basePort: 7300 })
  }
  const startedAt = performance.now()
  let node: NodeProcess | null = null
  let load: LoadGenerator | null = null
  let watcher: SliceWatcher | null = null
  let ticker: NodeJS.Timeout | null = null
  let stopping = false
  const stop = async (code: number): Promise<void> => {
    if (stopping) return
    stopping = true
    if (ticker !== null) clearInterval(ticker)
    await load?.stop()
    watcher?.close()
    await node?.stop()
    process.exit(code)
  }
  process.once('SIGINT', () => void stop(0))
  process.once('SIGTERM', () => void stop(0))

  node = await startNodeProcess(join(dataDir, 'node-0', 'config.json'))
  const status = await (await fetch(new URL('/v1/status', node.url))).json() as { chainId: string, height: number, rollups: Array<{ id: number, name: string }> }
  load = new LoadGenerator(node.url, status.chainId, status.rollups.map((r) => r.id))
  watcher = new SliceWatcher(load.pending)
  for (const r of status.rollups) watcher.follow(node.url, r.id, status.height + 1)
  load.start(tps)

  let previous = { at: performance.now(), committed: 0 }
  const view = { json: args.json, firstFinalMs: null as number | null }
  ticker = setInterval(() => {
    void (async () => {
      const s = await (await fetch(new URL('/v1/status', node!.url))).json() as { height: number, round: number, mempool: { txs: number } }
      const now = performance.now()
      if (view.firstFinalMs === null && s.height > status.height) view.firstFinalMs = now - startedAt
      const snapshot: DevnetSnapshot = {
        url: node!.url,
        dataDir,
        height: s.height,
        round: s.round,
        mempoolTxs: s.mempool.txs,
        submitted: load!.stats.submitted,
        acknowledged: load!.stats.acknowledged,
        rejected: [...load!.stats.rejected.values()].reduce((a, b) => a + b, 0),
        committed: watcher!.committed,
        txPerSec: (watcher!.committed - previous.committed) * 1000 / (now - previous.at),
        p50Ms: watcher!.latencyMs.totalCount > 0 ? watcher!.latencyMs.getValueAtPercentile(50) : null,
        p99Ms: watcher!.latencyMs.totalCount > 0 ? watcher!.latencyMs.getValueAtPercentile(99) : null,
        rollupHeights: Object.fromEntries(status.rollups.map((r) => [r.name, watcher!.heights.get(r.id) ?? null])),
        firstFinalMs: view.firstFinalMs,
        uptimeS: (now - startedAt) / 1000
      }
      previous = { at: now, committed: watcher!.committed }
      process.stdout.write(renderStatus(snapshot, view.json))
    })().catch((err: Error) => process.stderr.write(`devnet: status failed: ${err.message}\n`))
  }, 1000)

  if (durationS !== undefined) setTimeout(() => void stop(0), durationS * 1000)
}

main().catch((err: Error) => {
  console.error(`devnet: ${err.message}`)
  process.exit(1)
})
