/**
 * A committee whose members each run in their own namespace of a `NetLab`:
 * `ip netns exec <ns> node bin/seqnode.js start`, p2p and API bound to the namespace's own
 * address (so ports can be fixed: every namespace has its own port space), peers configured
 * with the other namespaces' addresses, or with relay addresses when links are shaped
 * without netem.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { initHome } from '../src/node/init-home.js'
import { parseGenesis, type Genesis } from '../src/node/genesis.js'
import type { NodeConfigFile } from '../src/node/config.js'
import type { NodeStatus } from '../src/api/types.js'
import { DelayRelay } from './delay-relay.js'
import type { NetLab } from './lab.js'
import { spawnInNamespace, stopChildren } from './spawn-node.js'

/** Fixed ports: each node has a namespace of its own, so they never collide. */
export const P2P_PORT = 7400
export const API_PORT = 7300

export interface CommitteeOptions {
  /** a fresh folder for the home (genesis, node folders, logs) */
  dir: string
  chainId: string
  consensus?: NodeConfigFile['consensus']
  /** route node-to-node traffic through a userspace delay relay in the root namespace */
  relay?: boolean
  logLevel?: NodeConfigFile['logLevel']
  startTimeoutMs?: number
}

export interface MemberProcess {
  index: number
  url: string
  child: ChildProcess
  stderr: () => string
}

export class NetnsCommittee {
  readonly members: MemberProcess[] = []
  relay: DelayRelay | null = null
  readonly #children: ChildProcess[] = []
  #closed = false

  private constructor (readonly lab: NetLab, readonly genesis: Genesis, readonly logDir: string) {}

  /** Writes the home, starts every member and waits for each API; on failure stops what started. */
  static async start (lab: NetLab, opts: CommitteeOptions): Promise<NetnsCommittee> {
    const home = join(opts.dir, 'home')
    const logDir = join(opts.dir, 'logs')
    await mkdir(logDir, { recursive: true })
    const n = lab.nodes.length
    const init = await initHome({ dir: home, chainId: opts.chainId, nodes: n, rollups: ['token', 'kv'], basePort: 0, p2pPorts: lab.nodes.map(() => P2P_PORT) })
    const genesis = parseGenesis(JSON.parse(await readFile(init.genesisFile, 'utf8')))
    const committee = new NetnsCommittee(lab, genesis, logDir)
    try {
      let peerAddr = (j: number): string => `/ip4/${lab.nodes[j]!.addr}/tcp/${P2P_PORT}`
      if (opts.relay === true) {
        committee.relay = new DelayRelay()
        const ports = await committee.relay.listen(lab.rootAddr, lab.nodes.map((node) => ({ host: node.addr, port: P2P_PORT })))
        peerAddr = (j) => `/ip4/${lab.rootAddr}/tcp/${ports[j]}`
        // nodes may learn each other's direct addresses (identify): refuse those paths at once
        await lab.partition(lab.nodes.map((node) => [node.index]), 'unreachable')
      }
      for (const [i, node] of init.nodes.entries()) {
        const config = JSON.parse(await readFile(node.configFile, 'utf8')) as NodeConfigFile
        config.api = { host: lab.nodes[i]!.addr, port: API_PORT }
        config.p2p ??= {}
        config.p2p.listen = [`/ip4/${lab.nodes[i]!.addr}/tcp/${P2P_PORT}`]
        config.p2p.peers = lab.nodes.filter((o) => o.index !== i).map((o) => ({ index: o.index, addrs: [peerAddr(o.index)] }))
        config.consensus = { ...config.consensus, ...opts.consensus }
        await writeFile(node.configFile, JSON.stringify(config, null, 2) + '\n')
      }
      const started = await Promise.all(init.nodes.map(async (node, i) => await committee.#spawn(i, node.configFile, opts)))
      committee.members.push(...started)
      return committee
    } catch (err) {
      await committee.stop()
      throw err
    }
  }

  async #spawn (index: number, configFile: string, opts: CommitteeOptions): Promise<MemberProcess> {
    const { child, url, stderr } = await spawnInNamespace(this.lab.nodes[index]!.ns, configFile, join(this.logDir, `node-${index}.log`), { name: `node-${index}`, logLevel: opts.logLevel ?? 'info', timeoutMs: opts.startTimeoutMs ?? 30_000, onChild: (c) => this.#children.push(c) })
    return { index, url, child, stderr }
  }

  /** Final heights per member (null where the API did not answer in time). */
  async heights (): Promise<Array<number | null>> {
    return await Promise.all(this.members.map(async (m) => (await this.status(m.index).catch(() => null))?.height ?? null))
  }

  async status (index: number): Promise<NodeStatus> {
    const res = await fetch(`${this.members[index]!.url}/v1/status`, { signal: AbortSignal.timeout(2000) })
    if (res.status !== 200) throw new Error(`node-${index} /v1/status: HTTP ${res.status}`)
    return await res.json() as NodeStatus
  }

  /** Batch hash per height 0..`upTo` as served by member `index`. */
  async batchHashes (index: number, upTo: number): Promise<string[]> {
    const hashes: string[] = []
    for (let h = 0; h <= upTo; h++) {
      const res = await fetch(`${this.members[index]!.url}/v1/blocks/${h}`, { signal: AbortSignal.timeout(5000) })
      if (res.status !== 200) throw new Error(`node-${index} /v1/blocks/${h}: HTTP ${res.status}`)
      hashes.push((await res.json() as { hash: string }).hash)
    }
    return hashes
  }

  /** SIGTERM every member, SIGKILL after `graceMs`; closes the relay. Safe to call twice. */
  async stop (graceMs = 3000): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await stopChildren(this.#children, graceMs)
    await this.relay?.close()
  }
}
