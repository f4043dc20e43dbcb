/**
 * The campaign's committee: one `seqnode start` process per member on 127.0.0.1 (started
 * with the devnet's startNodeProcess), and the faults it can suffer: SIGKILL, SIGSTOP /
 * SIGCONT, a wiped data folder (chain, WAL, safety state and rollup state go; the key,
 * config and genesis stay), and through each member's dev control (`--dev-control`,
 * `/v1/dev/faults`) a one-way partition and failing or parked store writes. A restarted member keeps its API and p2p ports. A member that
 * exits when the runner did not kill it is recorded as a crash. Members are spawned through
 * devnet/children.ts, whose exit hook SIGKILLs any still running when the runner exits.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startNodeProcess, type NodeProcess } from '../devnet/node-process.js'
import type { DevFaultsJson, DevFaultsRequest } from '../src/api/index.js'
import { initHome } from '../src/node/init-home.js'
import { loadNodeConfig } from '../src/node/config.js'
import { freePorts, patchJsonFile } from '../test/helpers/node-process.js'

export interface ClusterOptions {
  /** home of genesis and member folders (created) */
  dir: string
  logDir: string
  nodes: number
  chainId: string
  logLevel: string
  /** members' first round timeout; undefined keeps the node default */
  baseTimeoutMs?: number
}

/** A start through tsx takes 2-7 s here, far more when the machine's 2 cores are shared with other work. */
const START_TIMEOUT_MS = 60_000

interface Member {
  index: number
  configFile: string
  /** what a wipe deletes */
  stateDirs: string[]
  apiPort: number
  proc: NodeProcess | null
  frozen: boolean
  starts: number
  /** set while the runner is killing it, so its exit is not a crash */
  expectingExit: boolean
  log: WriteStream | null
}

export class ChaosCluster {
  /** exits nobody asked for: member index and how it ended */
  readonly crashes: string[] = []
  readonly genesisFile: string

  private constructor (readonly members: Member[], private readonly opts: ClusterOptions, genesisFile: string) {
    this.genesisFile = genesisFile
  }

  static async create (opts: ClusterOptions): Promise<ChaosCluster> {
    const init = await initHome({ dir: opts.dir, chainId: opts.chainId, nodes: opts.nodes, rollups: ['token', 'kv'], basePort: 0, p2pPorts: await freePorts(opts.nodes) })
    const members: Member[] = []
    for (const [index, n] of init.nodes.entries()) {
      if (opts.baseTimeoutMs !== undefined) await patchJsonFile(n.configFile, { consensus: { baseTimeoutMs: opts.baseTimeoutMs } })
      const config = await loadNodeConfig(n.configFile)
      members.push({ index, configFile: n.configFile, stateDirs: [config.dataDir, config.rollupsDir], apiPort: 0, proc: null, frozen: false, starts: 0, expectingExit: false, log: null })
    }
    const cluster = new ChaosCluster(members, opts, init.genesisFile)
    try {
      await Promise.all(members.map(async (m) => await cluster.start(m.index)))
    } catch (err) {
      await cluster.close()
      throw err
    }
    return cluster
  }

  get size (): number {
    return this.members.length
  }

  url (i: number): string {
    return `http://127.0.0.1:${this.members[i]!.apiPort}`
  }

  isRunning (i: number): boolean {
    return this.members[i]!.proc !== null
  }

  isFrozen (i: number): boolean {
    return this.members[i]!.frozen
  }

  /** members whose process runs and is not stopped: they answer the API */
  responsive (): number[] {
    return this.members.filter((m) => m.proc !== null && !m.frozen).map((m) => m.index)
  }

  /** Starts a stopped member, with `env` added to its environment (e.g. SEQ_CLOCK_OFFSET_MS). */
  async start (i: number, env?: Record<string, string>): Promise<void> {
    const m = this.members[i]!
    if (m.proc !== null) return
    m.starts++
    m.log = createWriteStream(join(this.opts.logDir, `node-${i}.${m.starts}.log`))
    const log = m.log
    const proc = await startNodeProcess(m.configFile, {
      apiPort: m.apiPort, logLevel: this.opts.logLevel, onLog: (line) => log.write(line), startTimeoutMs: START_TIMEOUT_MS, devControl: true, ...(env !== undefined ? { env } : {})
    })
    m.apiPort = Number(new URL(proc.url).port)
    m.proc = proc
    m.expectingExit = false
    proc.child.once('exit', (code, signal) => {
      if (!m.expectingExit) this.crashes.push(`node-${i} (start ${m.starts}) exited by itself: code ${code}, signal ${signal}`)
      if (m.proc === proc) { m.proc = null; m.frozen = false }
      log.end()
    })
  }

  /** kill -9 (a stopped process dies too) */
  async kill (i: number): Promise<void> {
    const m = this.members[i]!
    if (m.proc === null) return
    m.expectingExit = true
    const proc = m.proc
    await proc.stop(0)
    m.proc = null
    m.frozen = false
  }

  freeze (i: number): void {
    const m = this.members[i]!
    if (m.proc === null || m.frozen) return
    m.proc.child.kill('SIGSTOP')
    m.frozen = true
  }

  thaw (i: number): void {
    const m = this.members[i]!
    if (m.proc === null || !m.frozen) return
    m.proc.child.kill('SIGCONT')
    m.frozen = false
  }

  /** Sets a running member's injected faults (`POST /v1/dev/faults`: one-way partition, store faults); returns what it now has. */
  async devFaults (i: number, request: DevFaultsRequest): Promise<DevFaultsJson> {
    const res = await fetch(`${this.url(i)}/v1/dev/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), signal: AbortSignal.timeout(5000)
    })
    if (res.status !== 200) throw new Error(`node-${i} POST /v1/dev/faults: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`)
    return await res.json() as DevFaultsJson
  }

  /** A member's injected faults now (`GET /v1/dev/faults`). */
  async devFaultState (i: number): Promise<DevFaultsJson> {
    const res = await fetch(`${this.url(i)}/v1/dev/faults`, { signal: AbortSignal.timeout(5000) })
    if (res.status !== 200) throw new Error(`node-${i} GET /v1/dev/faults: HTTP ${res.status}`)
    return await res.json() as DevFaultsJson
  }

  /** Deletes a stopped member's chain, WAL, safety state and rollup state; key, config and genesis stay. */
  async wipe (i: number): Promise<void> {
    const m = this.members[i]!
    if (m.proc !== null) throw new Error(`node-${i} must be stopped before its data is wiped`)
    for (const dir of m.stateDirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 })
  }

  async close (): Promise<void> {
    for (const m of this.members) this.thaw(m.index)
    await Promise.all(this.members.map(async (m) => {
      if (m.proc === null) return
      m.expectingExit = true
      await m.proc.stop(5000)
    }))
  }
}
