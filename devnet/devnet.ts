/**
 * `npm run devnet`: one command to a running local committee. Creates genesis and keys
 * under the data folder (once; `--fresh` starts over), starts each member as its own
 * process on 127.0.0.1, drives a light load through the public API (spread over the
 * members) and shows per-node height, round, leader and peers, throughput and latency.
 * Ctrl-C (or --duration) stops everything it started.
 */
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initHome } from '../src/node/init-home.js'
import { LoadGenerator } from './load.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { SliceWatcher } from './slice-watcher.js'
import { renderStatus, type DevnetSnapshot } from './status-view.js'
import { startControlServer } from './control-server.js'
import { writeSummary } from './summary.js'
import { toyPayloads } from './toy-payloads.js'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '.devnet' },
    nodes: { type: 'string', default: '4' },
    fresh: { type: 'boolean', default: false },
    load: { type: 'string', default: '20' },
    duration: { type: 'string' },
    rollups: { type: 'string', default: 'token,kv' },
    json: { type: 'boolean', default: false },
    summary: { type: 'string' },
    'control-port': { type: 'string', default: '0' },
    help: { type: 'boolean', default: false }
  }
})

if (args.help) {
  console.log(`usage: npm run devnet -- [--nodes N] [--data DIR] [--fresh] [--load TPS] [--duration S] [--rollups token,kv] [--json]
  --nodes N      committee size of a new devnet (default 4)
  --data DIR     data folder (default .devnet); a second start resumes from it
  --fresh        delete the data folder first
  --load TPS     transactions per second sent through the API (default 20, 0 = none)
  --duration S   run S seconds, then stop everything and exit 0 (default: until Ctrl-C)
  --rollups L    rollups of a new genesis (default token,kv)
  --json         one JSON status line per second instead of the live view
  --summary FILE on exit, write a JSON summary (heights, agreement, lost txs, latency)
  --control-port P  port of the dev control endpoint on 127.0.0.1 (default: a free one):
                 GET /nodes, POST /nodes/:i/stop (kill -9), POST /nodes/:i/start`)
  process.exit(0)
}

const dataDir = resolve(args.data)
const nodeCount = Number(args.nodes)
if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error('--nodes must be a positive integer')
const tps = Number(args.load)
const durationS = args.duration === undefined ? undefined : Number(args.duration)
if (!Number.isFinite(tps) || tps < 0) throw new Error('--load must be a non-negative number')
if (durationS !== undefined && (!Number.isFinite(durationS) || durationS <= 0)) throw new Error('--duration must be a positive number of seconds')

async function main (): Promise<void> {
  if (args.fresh) await rm(dataDir, { recursive: true, force: true })
  if (!existsSync(join(dataDir, 'genesis.json'))) {
    const ports = await freePorts(nodeCount)
    await initHome({ dir: dataDir, chainId: 'devnet-1', nodes: nodeCount, rollups: args.rollups!.split(','), basePort: 0, p2pPorts: ports })
  }
  const members = (JSON.parse(await readFile(join(dataDir, 'genesis.json'), 'utf8')) as { committee: unknown[] }).committee.length
  const startedAt = performance.now()
  const nodes: Array<NodeProcess | null> = []
  let load: LoadGenerator | null = null
  let control: { url: string, close: () => Promise<void> } | null = null
  let watcher: SliceWatcher | null = null
  let ticker: NodeJS.Timeout | null = null
  let stopping = false
  const stop = async (exitCode: number): Promise<void> => {
    let code = exitCode
    if (stopping) return
    stopping = true
    if (ticker !== null) clearInterval(ticker)
    await load?.stop()
    if (args.summary !== undefined && load !== null && watcher !== null) {
      const summary = await writeSummary(args.summary, liveUrls(), load, watcher)
      if (!summary.agreed || summary.lost > 0) code = code === 0 ? 2 : code
    }
    watcher?.close()
    await control?.close()
    await Promise.all(nodes.map((n) => n?.stop()))
    process.exit(code)
  }
  process.once('SIGINT', () => void stop(0))
  process.once('SIGTERM', () => void stop(0))

  const startMember = (i: number): Promise<NodeProcess> => startNodeProcess(join(dataDir, `node-${i}`, 'config.json'), { apiPort: apiPorts[i] ?? 0 })
  const apiPorts: number[] = []
  const started = await Promise.all(Array.from({ length: members }, (_, i) => startMember(i)))
  nodes.push(...started)
  // A restarted member keeps its API port, so scripts and the view can keep using its URL.
  for (const n of started) apiPorts.push(Number(new URL(n.url).port))
  const urls = started.map((n) => n.url)
  const liveUrls = (): string[] => nodes.filter((n): n is NodeProcess => n !== null).map((n) => n.url)
  control = await startControlServer({
    list: () => urls.map((url, index) => ({ index, url, running: nodes[index] !== null })),
    stop: async (i) => { const n = nodes[i]; nodes[i] = null; await n?.stop(0) },
    start: async (i) => { if (nodes[i] === null) nodes[i] = await startMember(i) }
  }, Number(args['control-port']))
  process.stderr.write(`devnet: control endpoint ${control.url} (GET /nodes, POST /nodes/:i/stop, POST /nodes/:i/start)\n`)
  await waitForPeers(urls, members - 1, 15_000)
  const status = await (await fetch(new URL('/v1/status', urls[0]))).json() as { chainId: string, height: number, rollups: Array<{ id: number, name: string }> }
  load = new LoadGenerator(urls, status.chainId, status.rollups.map((r) => r.id), await toyPayloads(dataDir, urls[0]!, status.chainId, status.rollups))
  watcher = new SliceWatcher(load.pending, liveUrls)
  for (const r of status.rollups) watcher.follow(r.id, status.height + 1)
  load.start(tps)

  let previous = { at: performance.now(), committed: 0 }
  const view = { json: args.json, firstFinalMs: null as number | null }
  ticker = setInterval(() => {
    void (async () => {
      const all = await Promise.all(urls.map(async (url) => {
        try {
          return await (await fetch(new URL('/v1/status', url))).json() as NodeView
        } catch {
          return null
        }
      }))
      const now = performance.now()
      const maxHeight = Math.max(...all.map((s) => s?.height ?? -1))
      if (view.firstFinalMs === null && maxHeight > status.height) view.firstFinalMs = now - startedAt
      const snapshot: DevnetSnapshot = {
        urls,
        dataDir,
        nodes: all.map((s, i) => s === null ? { index: i, up: false, height: -1, round: 0, leader: 0, peers: 0, mempoolTxs: 0 } : { index: i, up: true, height: s.height, round: s.round, leader: s.leader, peers: s.peers, mempoolTxs: s.mempool.txs }),
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

/** Load starts once every member sees the others, so the first rounds are not spent on timeouts. */
async function waitForPeers (urls: string[], peers: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const counts = await Promise.all(urls.map(async (url) => {
      try {
        return ((await (await fetch(new URL('/v1/status', url))).json()) as NodeView).peers
      } catch {
        return -1
      }
    }))
    if (counts.every((c) => c >= peers)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  process.stderr.write('devnet: not every member sees all the others yet; starting anyway\n')
}

interface NodeView { height: number, round: number, leader: number, peers: number, mempool: { txs: number } }

/** Ports the OS says are free now (the members' p2p ports must be known before they start). */
async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => resolve(server))
  })))
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

main().catch((err: Error) => {
  console.error(`devnet: ${err.message}`)
  process.exit(1)
})
