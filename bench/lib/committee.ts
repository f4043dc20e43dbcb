/**
 * A fresh committee for one bench run, made the way the devnet makes it: `initHome`
 * (genesis, keys, configs) with free p2p ports in a temp folder, one `seqnode start`
 * process per member (`startNodeProcess`), then a wait until every member sees the n-1
 * others. Everything is registered for cleanup; the temp folder is removed afterwards.
 *
 * `cpuProfMember` starts that one member under `node --cpu-prof` (the devnet helper has no
 * way to pass node flags, and NODE_OPTIONS refuses --cpu-prof); the profile is written
 * when the member exits on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pathToFileURL } from 'node:url'
import { startNodeProcess, type NodeProcess } from '../../devnet/node-process.js'
import { initFollower } from '../../src/node/init-follower.js'
import { initHome } from '../../src/node/init-home.js'
import { onCleanup, trackChild, trackTempDir } from './cleanup.js'
import { keepAliveAgent, rawRequest } from './http.js'

export interface Member { name: string, url: string, proc: NodeProcess, configFile: string }

export interface Committee {
  members: Member[]
  genesisText: string
  chainId: string
  rollups: Array<{ id: number, name: string }>
  home: string
  startMs: number
  /** non-voting nodes on the members' public network (`role: follower`), `follower-i` */
  followers: Member[]
  /** SIGKILL of member i (no grace); resolves once it exited */
  kill: (i: number) => Promise<void>
  /** starts member i again from its folder, on the same API port (so its URL stays valid) */
  restart: (i: number) => Promise<void>
  stop: () => Promise<void>
}

export interface CommitteeOptions {
  nodes: number
  chainId: string
  rollups: string[]
  logDir: string
  keepHome: boolean
  /** false: the members run no in-process rollups (ordering only) */
  rollupExec: boolean
  /** false: the followers run none (they verify, store and serve); default: as `rollupExec` */
  followerRollups?: boolean
  /** merged into every member's config.json, e.g. {"consensus": {"chunkDelayMs": 10}} */
  nodeConfig?: Record<string, unknown>
  cpuProfMember?: number
  /** starts follower-K under `node --cpu-prof` (profile in profileDir) */
  cpuProfFollower?: number
  profileDir?: string
  startTimeoutMs?: number
  /** genesis limits over the defaults (e.g. maxActionsPerTx for `--actions 64`) */
  genesisLimits?: { maxActionsPerTx?: number }
  /** extra environment of member i's process (the clock-skew scenario's SEQ_CLOCK_OFFSET_MS) */
  memberEnv?: Record<number, Record<string, string>>
  /**
   * Run the members of another checkout (an A/B run's worktree): its initHome and its
   * startNodeProcess, so genesis, configs and the node all come from that code; the load
   * generator and the measurements stay this tree's.
   */
  nodeTree?: string
  /**
   * Followers to start next to the members (the members get public ports at init; each
   * follower dials them and the followers made before it, like the devnet's).
   */
  followers?: number
}

interface NodeCode { initHome: typeof initHome, initFollower: typeof initFollower, startNodeProcess: typeof startNodeProcess, bin: string }

async function nodeCode (tree: string | undefined): Promise<NodeCode> {
  if (tree === undefined) return { initHome, initFollower, startNodeProcess, bin: BIN }
  const url = (path: string): string => pathToFileURL(join(tree, path)).href
  const home = await import(url('src/node/init-home.ts')) as { initHome: typeof initHome }
  const proc = await import(url('devnet/node-process.ts')) as { startNodeProcess: typeof startNodeProcess }
  const follower = await import(url('src/node/init-follower.ts')).catch(() => ({ initFollower: undefined })) as { initFollower?: typeof initFollower }
  const noFollowers = async (): Promise<never> => { throw new Error(`${tree} has no src/node/init-follower.ts: --followers needs a node with followers`) }
  return { initHome: home.initHome, initFollower: follower.initFollower ?? noFollowers, startNodeProcess: proc.startNodeProcess, bin: join(tree, 'bin/seqnode.js') }
}

export async function startCommittee (opts: CommitteeOptions): Promise<Committee> {
  const t0 = performance.now()
  const code = await nodeCode(opts.nodeTree)
  const home = await mkdtemp(join(tmpdir(), 'seq-bench-'))
  const untrackHome = opts.keepHome ? () => {} : trackTempDir(home)
  const followerCount = opts.followers ?? 0
  const ports = await freePorts(followerCount > 0 ? 2 * opts.nodes + followerCount : opts.nodes)
  const p2pPorts = ports.slice(0, opts.nodes)
  const publicPorts = followerCount > 0 ? ports.slice(opts.nodes, 2 * opts.nodes) : undefined
  const followerPorts = ports.slice(2 * opts.nodes)
  const init = await code.initHome({ dir: home, chainId: opts.chainId, nodes: opts.nodes, rollups: opts.rollups, basePort: 0, p2pPorts, ...(publicPorts !== undefined ? { publicPorts } : {}), ...(opts.genesisLimits !== undefined ? { limits: opts.genesisLimits } : {}) })
  if (!opts.rollupExec || opts.nodeConfig !== undefined) {
    for (const n of init.nodes) {
      let config = JSON.parse(await readFile(n.configFile, 'utf8')) as Record<string, unknown>
      if (!opts.rollupExec) config.rollups = []
      if (opts.nodeConfig !== undefined) config = deepMerge(config, opts.nodeConfig)
      await writeFile(n.configFile, JSON.stringify(config, null, 2) + '\n')
    }
  }
  await mkdir(opts.logDir, { recursive: true })
  const members: Array<Member | null> = new Array(opts.nodes).fill(null)
  const followers: Member[] = []
  const logs: WriteStream[] = []
  const logFor = (name: string): (line: string) => void => {
    const log = createWriteStream(join(opts.logDir, `${name}.log`), { flags: 'a' })
    logs.push(log)
    return (line: string): void => { log.write(line) }
  }
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await Promise.all([...followers, ...members].map((m) => m?.proc.stop(8000)))
    await Promise.all(logs.map((l) => new Promise((resolve) => l.end(resolve))))
    if (!opts.keepHome) {
      await rm(home, { recursive: true, force: true, maxRetries: 3 })
      untrackHome()
    }
  }
  const unregister = onCleanup(`committee of ${opts.nodes}`, stop)
  try {
    await Promise.all(init.nodes.map(async (n, i) => {
      const onLog = logFor(n.name)
      const proc = i === opts.cpuProfMember
        ? await startProfiledNodeProcess(code.bin, n.configFile, opts.profileDir ?? opts.logDir, onLog, opts.startTimeoutMs ?? 60_000)
        : await code.startNodeProcess(n.configFile, { apiPort: 0, logLevel: 'warn', onLog, startTimeoutMs: opts.startTimeoutMs ?? 60_000, ...(opts.memberEnv?.[i] !== undefined ? { env: opts.memberEnv[i] } : {}) })
      trackChild(proc.child)
      members[i] = { name: n.name, url: proc.url, proc, configFile: n.configFile }
    }))
    const live = members as Member[]
    await waitForPeers(live, opts.nodes - 1, opts.startTimeoutMs ?? 60_000)
    // followers one by one, each bootstrapping from the members and the followers before it
    const followerAddrs: string[] = []
    for (let k = 0; k < followerCount; k++) {
      const name = `follower-${k}`
      const made = await code.initFollower({ home, dir: join(home, name), apiPort: 0, publicPort: followerPorts[k]!, extraBootstrap: [...followerAddrs], ...(!(opts.followerRollups ?? opts.rollupExec) ? { rollups: [] } : {}) })
      followerAddrs.push(made.publicAddr)
      const proc = k === opts.cpuProfFollower
        ? await startProfiledNodeProcess(code.bin, made.configFile, opts.profileDir ?? opts.logDir, logFor(name), opts.startTimeoutMs ?? 60_000)
        : await code.startNodeProcess(made.configFile, { apiPort: 0, logLevel: 'warn', onLog: logFor(name), startTimeoutMs: opts.startTimeoutMs ?? 60_000 })
      trackChild(proc.child)
      followers.push({ name, url: proc.url, proc, configFile: made.configFile })
    }
    // a follower sees every member on the public network (and relays txs only once it does)
    if (followers.length > 0) await waitForPeers(followers, opts.nodes, opts.startTimeoutMs ?? 60_000)
    const genesisText = await readFile(init.genesisFile, 'utf8')
    const genesis = JSON.parse(genesisText) as { rollups: Array<{ id: number, name: string }> }
    return {
      members: live,
      genesisText,
      chainId: opts.chainId,
      rollups: genesis.rollups.map((r) => ({ id: r.id, name: r.name })),
      home,
      startMs: performance.now() - t0,
      followers,
      kill: async (i: number) => { await live[i]!.proc.stop(0) },
      restart: async (i: number) => {
        const m = live[i]!
        const proc = await code.startNodeProcess(m.configFile, { apiPort: Number(new URL(m.url).port), logLevel: 'warn', onLog: logFor(`${m.name}.restarted`), startTimeoutMs: opts.startTimeoutMs ?? 60_000 })
        trackChild(proc.child)
        live[i] = { ...m, proc }
        if (stopped) await proc.stop(2000)
      },
      stop: async () => { unregister(); await stop() }
    }
  } catch (err) {
    unregister()
    await stop()
    throw err
  }
}

const statusAgent = keepAliveAgent(8)

async function waitForPeers (members: Member[], peers: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let counts: number[] = []
  while (Date.now() < deadline) {
    counts = await Promise.all(members.map(async (m) => {
      try {
        const reply = await rawRequest(statusAgent, `${m.url}/v1/status`, { signal: AbortSignal.timeout(2000) })
        return (JSON.parse(reply.body.toString('utf8')) as { peers: number }).peers
      } catch {
        return -1
      }
    }))
    if (counts.every((c) => c >= peers)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${members.map((m) => m.name).join(', ')} do not see ${peers} peers each after ${timeoutMs} ms (peers: ${counts.join(', ')})`)
}

const BIN = fileURLToPath(new URL('../../bin/seqnode.js', import.meta.url))

/** startNodeProcess with `--cpu-prof`; the child is killed if it does not come up. */
async function startProfiledNodeProcess (bin: string, configFile: string, profileDir: string, onLog: (line: string) => void, timeoutMs: number): Promise<NodeProcess> {
  await mkdir(profileDir, { recursive: true })
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, bin, 'start', '--config', configFile, '--api-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => onLog(d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`profiled node did not start within ${timeoutMs} ms:\n${stderr}`)) }, timeoutMs)
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
      onLog(d.toString())
      const m = /API listening on (http:\/\/\S+)/.exec(stderr)
      if (m !== null) { clearTimeout(timer); resolve(m[1]!) }
    })
    void exited.then(() => { clearTimeout(timer); reject(new Error(`profiled node exited:\n${stderr}`)) })
  })
  return {
    url,
    child,
    stop: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      // writing a large profile takes a moment
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(graceMs, 20_000))
      await exited
      clearTimeout(timer)
    }
  }
}

function deepMerge (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

/** Ports the OS says are free now (p2p ports must be in genesis configs before start). */
export async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })))
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}
