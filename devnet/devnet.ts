/**
 * `npm run devnet`: one command to a running local committee. Creates genesis and keys
 * under the data folder (once; `--fresh` starts over), starts each member as its own
 * process on 127.0.0.1, the external toy rollup process against node-0, drives a light
 * load through the public API (spread over the members) and shows per-node height, round,
 * leader, peers and rollup state roots, throughput and latency. Every way out (Ctrl-C,
 * SIGTERM, --duration, an error) stops every process it started (devnet/children.ts).
 */
import { existsSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { initHome } from '../src/node/init-home.js'
import { initFollower } from '../src/node/init-follower.js'
import { stopAllChildren } from './children.js'
import { CONTROL_ROUTES, startControlServer } from './control-server.js'
import { ExternalRollup } from './external-rollup.js'
import { LoadGenerator } from './load.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { SliceWatcher } from './slice-watcher.js'
import { StateRootBook } from './state-roots.js'
import { renderStatus, type DevnetSnapshot, type NodeSnapshot } from './status-view.js'
import { json, writeSummary, type StateRootsResult } from './summary.js'
import { toyPayloads } from './toy-payloads.js'

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '.devnet' },
    nodes: { type: 'string', default: '4' },
    followers: { type: 'string', default: '1' },
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
  console.log(`usage: npm run devnet -- [--nodes N] [--data DIR] [--fresh] [--load TPS] [--duration S] [--rollups token,kv] [--json] [--summary FILE]
  --nodes N      committee size of a new devnet (default 4)
  --followers K  follower nodes (no vote: verify and serve final batches, relay txs), default 1
  --data DIR     data folder (default .devnet); a second start resumes from it
  --fresh        delete the data folder first
  --load TPS     transactions per second sent through the API (default 20, 0 = none)
  --duration S   run S seconds, then stop everything and exit 0 (default: until Ctrl-C)
  --rollups L    rollups of a new genesis (default token,kv); with token, the external
                 toy rollup process (npm run rollup) follows node-0
  --json         one JSON status line per second instead of the live view
  --summary FILE on exit, write a JSON summary (heights, agreement, lost txs, latency, state roots)
  --control-port P  port of the dev control endpoint on 127.0.0.1 (default: a free one):
                 ${CONTROL_ROUTES}`)
  process.exit(0)
}

const dataDir = resolve(args.data)
const nodeCount = Number(args.nodes)
if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error('--nodes must be a positive integer')
const followerCount = Number(args.followers)
if (!Number.isInteger(followerCount) || followerCount < 0) throw new Error('--followers must be a non-negative integer')
const tps = Number(args.load)
const durationS = args.duration === undefined ? undefined : Number(args.duration)
if (!Number.isFinite(tps) || tps < 0) throw new Error('--load must be a non-negative number')
if (durationS !== undefined && (!Number.isFinite(durationS) || durationS <= 0)) throw new Error('--duration must be a positive number of seconds')

/** Steps run (last registered first) before the children are stopped on the way out. */
const onShutdown: Array<() => Promise<number | void> | number | void> = []
let shuttingDown = false

async function shutdown (exitCode: number): Promise<void> {
  if (shuttingDown) return
  shuttingDown = true
  let code = exitCode
  for (const step of onShutdown.reverse()) {
    try {
      const result = await step()
      if (typeof result === 'number' && code === 0) code = result
    } catch (err) {
      process.stderr.write(`devnet: while stopping: ${(err as Error).message}\n`)
      if (code === 0) code = 1
    }
  }
  await stopAllChildren()
  process.exit(code)
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void shutdown(0))
process.on('uncaughtException', (err) => { process.stderr.write(`devnet: ${err.stack ?? err.message}\n`); void shutdown(1) })
process.on('unhandledRejection', (err) => { process.stderr.write(`devnet: ${String(err)}\n`); void shutdown(1) })

interface NodeView { height: number, round: number, leader: number, peers: number, mempool: { txs: number } }
interface RollupState { rollupId: number, height: number, stateRoot: string }

async function main (): Promise<void> {
  if (args.fresh) await rm(dataDir, { recursive: true, force: true })
  if (!existsSync(join(dataDir, 'genesis.json'))) {
    const ports = await freePorts(2 * nodeCount)
    await initHome({ dir: dataDir, chainId: 'devnet-1', nodes: nodeCount, rollups: args.rollups!.split(','), basePort: 0, p2pPorts: ports.slice(0, nodeCount), publicPorts: ports.slice(nodeCount) })
  }
  const genesis = JSON.parse(await readFile(join(dataDir, 'genesis.json'), 'utf8')) as { committee: unknown[], rollups: Array<{ id: number, name: string }> }
  const members = genesis.committee.length
  const nodes: Array<NodeProcess | null> = []
  const startMember = (i: number): Promise<NodeProcess> => startNodeProcess(join(dataDir, `node-${i}`, 'config.json'), { apiPort: apiPorts[i] ?? 0, devControl: true })
  const apiPorts: number[] = []
  const started = await Promise.all(Array.from({ length: members }, (_, i) => startMember(i)))
  nodes.push(...started)
  process.stderr.write(`devnet: ${members} members up after ${(performance.now() / 1000).toFixed(2)} s\n`)
  const followers = await startFollowers(dataDir, followerCount)
  // A restarted member keeps its API port, so scripts and the view can keep using its URL.
  for (const n of started) apiPorts.push(Number(new URL(n.url).port))
  const urls = started.map((n) => n.url)
  const liveUrls = (): string[] => nodes.filter((n): n is NodeProcess => n !== null).map((n) => n.url)
  const rollupName = new Map(genesis.rollups.map((r) => [r.id, r.name]))

  // State roots from every member's in-process rollups and from the external process.
  const roots = new StateRootBook()
  const token = genesis.rollups.find((r) => r.name === 'token')
  const external = token === undefined
    ? null
    : new ExternalRollup({ nodeUrl: urls[0]!, home: dataDir, dataDir: join(dataDir, 'external-rollup'), rollupId: token.id, onHeight: (height, stateRoot) => roots.record('external', { rollupId: token.id, height, stateRoot }) })
  const sampleRoots = async (): Promise<Array<RollupState[] | null>> => {
    const all = await Promise.all(urls.map((url, i) => nodes[i] === null ? null : json<RollupState[]>(`${url}/v1/rollups/state`)))
    all.forEach((states, i) => { for (const s of states ?? []) roots.record(`node-${i}`, s) })
    return all
  }

  const isolated = new Set<number>()
  const control = await startControlServer({
    list: () => urls.map((url, index) => ({ index, url, running: nodes[index] !== null, isolated: isolated.has(index), pid: nodes[index]?.child.pid ?? null })),
    stop: async (i) => { const n = nodes[i]; nodes[i] = null; isolated.delete(i); await n?.stop(0) },
    start: async (i) => { if (nodes[i] === null) nodes[i] = await startMember(i) },
    isolate: async (i) => { await devControl(urls[i]!, 'isolate'); isolated.add(i) },
    heal: async (i) => { await devControl(urls[i]!, 'heal'); isolated.delete(i) }
  }, Number(args['control-port']))
  onShutdown.push(() => control.close())
  process.stderr.write(`devnet: control endpoint ${control.url} (${CONTROL_ROUTES})\n`)

  const initial = await waitForPeers(urls, members - 1, 15_000)
  const status = await (await fetch(new URL('/v1/status', urls[0]))).json() as { chainId: string, height: number, rollups: Array<{ id: number, name: string }> }
  const load = new LoadGenerator(urls, status.chainId, status.rollups.map((r) => r.id), await toyPayloads(dataDir, urls[0]!, status.chainId, status.rollups))
  const watcher = new SliceWatcher(load.pending, liveUrls)
  for (const r of status.rollups) watcher.follow(r.id, status.height + 1)
  const view = { firstFinalMs: null as number | null }
  void watchFirstFinal(urls[0]!, initial, () => shuttingDown).then((ms) => {
    view.firstFinalMs = ms
    if (ms !== null) process.stderr.write(`devnet: first final batch after ${(ms / 1000).toFixed(2)} s\n`)
  })
  load.start(tps)

  // Registered in this order, run in reverse on the way out: summary after the load stopped.
  onShutdown.push(async () => { watcher.close(); await external?.stop() })
  if (args.summary !== undefined) {
    onShutdown.push(async () => {
      const summary = await writeSummary(args.summary!, liveUrls(), load, watcher, () => settleStateRoots(roots, sampleRoots, external === null ? [] : ['external'], token?.id ?? null))
      return (summary.agreed && summary.lost === 0 && summary.state_roots_agree !== false) ? 0 : 2
    })
  }
  onShutdown.push(() => load.stop())

  let previous = { at: performance.now(), committed: 0 }
  const ticker = setInterval(() => {
    void (async () => {
      const [all, states, isolation] = await Promise.all([
        Promise.all(urls.map((url, i) => nodes[i] === null ? null : json<NodeView>(`${url}/v1/status`))),
        sampleRoots(),
        Promise.all(urls.map((url, i) => nodes[i] === null ? null : json<{ isolated: boolean }>(`${url}/v1/dev/isolation`)))
      ])
      const now = performance.now()
      const nodeSnapshots = all.map((s, i): NodeSnapshot => ({
        index: i,
        pid: nodes[i]?.child.pid ?? null,
        up: s !== null,
        isolated: isolation[i]?.isolated ?? false,
        height: s?.height ?? -1,
        round: s?.round ?? 0,
        leader: s?.leader ?? 0,
        peers: s?.peers ?? 0,
        mempoolTxs: s?.mempool.txs ?? 0,
        rollups: (states[i] ?? []).map((r) => ({ rollupId: r.rollupId, name: rollupName.get(r.rollupId) ?? String(r.rollupId), height: r.height, stateRoot: r.stateRoot }))
      }))
      const followerViews = await Promise.all(followers.map(async (f) => ({ url: f.url, status: await json<NodeView>(`${f.url}/v1/status`) })))
      const snapshot: DevnetSnapshot = {
        urls,
        followers: followerViews.map((f, i) => ({ index: i, url: f.url, up: f.status !== null, height: f.status?.height ?? -1, peers: f.status?.peers ?? 0 })),
        dataDir,
        nodes: nodeSnapshots,
        submitted: load.stats.submitted,
        acknowledged: load.stats.acknowledged,
        rejected: [...load.stats.rejected.values()].reduce((a, b) => a + b, 0),
        committed: watcher.committed,
        txPerSec: (watcher.committed - previous.committed) * 1000 / (now - previous.at),
        p50Ms: watcher.latencyMs.totalCount > 0 ? watcher.latencyMs.getValueAtPercentile(50) : null,
        p99Ms: watcher.latencyMs.totalCount > 0 ? watcher.latencyMs.getValueAtPercentile(99) : null,
        latencyByRollup: Object.fromEntries([...watcher.latencyByRollup].map(([id, h]) => [rollupName.get(id) ?? String(id), { p50Ms: h.getValueAtPercentile(50), p99Ms: h.getValueAtPercentile(99), count: h.totalCount }])),
        control: { url: control.url, routes: CONTROL_ROUTES },
        rollupHeights: Object.fromEntries(status.rollups.map((r) => [r.name, watcher.heights.get(r.id) ?? null])),
        external: external === null ? null : { ...external.view, name: token!.name },
        stateRoots: { agree: roots.agree(), compared: roots.compared, conflict: roots.conflict },
        firstFinalMs: view.firstFinalMs,
        uptimeS: now / 1000
      }
      previous = { at: now, committed: watcher.committed }
      if (!shuttingDown) process.stdout.write(renderStatus(snapshot, args.json))
    })().catch((err: Error) => process.stderr.write(`devnet: status failed: ${err.message}\n`))
  }, 1000)
  onShutdown.push(() => clearInterval(ticker))

  if (durationS !== undefined) setTimeout(() => void shutdown(0), durationS * 1000)
}

async function devControl (url: string, action: 'isolate' | 'heal'): Promise<void> {
  const res = await fetch(`${url}/v1/dev/${action}`, { method: 'POST' })
  if (!res.ok) throw Object.assign(new Error(`node ${url}: ${action} failed with HTTP ${res.status}`), { statusCode: 502 })
}

/**
 * After the load stopped the chain goes idle; waits (up to 15 s) until every member's
 * in-process rollups and the external process have executed the same height, sampling
 * roots into the book on the way, so the last comparison covers every source.
 */
async function settleStateRoots (book: StateRootBook, sample: () => Promise<Array<RollupState[] | null>>, extraSources: string[], externalRollupId: number | null): Promise<StateRootsResult> {
  let aligned = false
  for (const deadline = Date.now() + 15_000; !aligned && Date.now() < deadline;) {
    const all = await sample()
    const rollupIds = new Set(all.flatMap((s) => (s ?? []).map((r) => r.rollupId)))
    aligned = [...rollupIds].every((id) => book.aligned(id, [
      ...all.flatMap((s, i) => s?.some((r) => r.rollupId === id) === true ? [`node-${i}`] : []),
      ...(id === externalRollupId ? extraSources : [])
    ]))
    if (!aligned) await new Promise((r) => setTimeout(r, 100))
  }
  const agree = book.agree()
  return {
    agree: agree === null ? null : agree && aligned,
    latest: Object.fromEntries([...book.latest].map(([k, v]) => [k, { height: v.height, stateRoot: v.stateRoot }])),
    compared: book.compared,
    conflict: book.conflict,
    aligned
  }
}

/**
 * Polls a member every 50 ms until the chain passes `fromHeight`: the first final batch
 * of this run, in ms since this process started (performance.now()'s origin).
 */
async function watchFirstFinal (url: string, fromHeight: number, stopped: () => boolean): Promise<number | null> {
  while (!stopped()) {
    const s = await json<{ height: number }>(`${url}/v1/status`)
    if (s !== null && s.height > fromHeight) return performance.now()
    await new Promise((r) => setTimeout(r, 50))
  }
  return null
}

/**
 * Load starts once every member sees the others, so the first rounds are not spent on
 * timeouts. Returns node-0's height at that point.
 */
async function waitForPeers (urls: string[], peers: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const views = await Promise.all(urls.map((url) => json<NodeView>(`${url}/v1/status`)))
    if (views.every((v) => v !== null && v.peers >= peers)) return views[0]!.height
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  process.stderr.write('devnet: not every member sees all the others yet; starting anyway\n')
  return (await json<NodeView>(`${urls[0]!}/v1/status`))?.height ?? -1
}

/**
 * Starts `count` followers, creating their folders the first time (each dials the members'
 * public addresses and the followers made before it). A devnet made before followers
 * existed has no public network on its members: it runs without followers and says so.
 */
async function startFollowers (home: string, count: number): Promise<NodeProcess[]> {
  if (count === 0) return []
  const member0 = JSON.parse(await readFile(join(home, 'node-0', 'config.json'), 'utf8')) as { public?: unknown }
  if (member0.public === undefined) {
    process.stderr.write('devnet: this data folder predates followers (no public network on the members); run with --fresh to get them\n')
    return []
  }
  const addrs: string[] = []
  const started: NodeProcess[] = []
  for (let i = 0; i < count; i++) {
    const dir = join(home, `follower-${i}`)
    const configFile = join(dir, 'config.json')
    if (!existsSync(configFile)) {
      const [publicPort] = await freePorts(1)
      addrs.push((await initFollower({ home, dir, apiPort: 0, publicPort: publicPort!, extraBootstrap: [...addrs] })).publicAddr)
    }
    started.push(await startNodeProcess(configFile, {}))
  }
  process.stderr.write(`devnet: ${count} follower${count === 1 ? '' : 's'} up: ${started.map((f) => f.url).join(' ')}\n`)
  onShutdown.push(async () => { await Promise.all(started.map(async (f) => f.stop(2000))) })
  return started
}

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
  process.stderr.write(`devnet: ${err.message}\n`)
  void shutdown(1)
})

