/**
 * Members and followers in a `NetLab`, one namespace each, spread over "regions" with a
 * delay between regions: lab nodes 0..m-1 are the committee, m.. the followers. Every
 * node-to-node connection goes through a userspace delay relay (delay-relay.ts; this
 * kernel has no sch_netem): one relay per ordered pair of regions, with that pair's shape,
 * listening for every node of the target region, and direct paths answered "unreachable".
 *
 * The deployment is the one docs/DEPLOY.md describes: members join each other on the
 * public network too; the first `sentries` followers dial every member; the others dial
 * only followers (two before them), so their txs and final batches cross a follower hop.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { initFollower } from '../src/node/init-follower.js'
import { initHome } from '../src/node/init-home.js'
import { parseGenesis, type Genesis } from '../src/node/genesis.js'
import type { NodeConfigFile } from '../src/node/config.js'
import type { NodeStatus } from '../src/api/types.js'
import { peerIdFromCommitteeKey } from '../src/p2p/identity.js'
import { API_PORT, P2P_PORT } from './committee.js'
import { DelayRelay } from './delay-relay.js'
import type { LinkShape, NetLab } from './lab.js'
import { spawnInNamespace, stopChildren } from './spawn-node.js'

export const PUBLIC_PORT = 7500

export interface PublicLabOptions {
  dir: string
  chainId: string
  members: number
  /** region of lab node i (members first, then followers) */
  regionOf: (node: number) => number
  /** one-way shape between two regions (same region included) */
  shape: (from: number, to: number) => LinkShape
  /** followers that dial every member; the rest dial followers only */
  sentries: number
  consensus?: NodeConfigFile['consensus']
  logLevel?: NodeConfigFile['logLevel']
  startTimeoutMs?: number
}

export interface LabProcess {
  name: string
  node: number
  url: string
  child: ChildProcess
  stderr: () => string
}

export class PublicLab {
  readonly members: LabProcess[] = []
  readonly followers: LabProcess[] = []
  readonly relays: DelayRelay[] = []
  readonly #children: ChildProcess[] = []
  #closed = false

  private constructor (readonly lab: NetLab, readonly genesis: Genesis, readonly genesisText: string, readonly logDir: string) {}

  static async start (lab: NetLab, opts: PublicLabOptions): Promise<PublicLab> {
    const home = join(opts.dir, 'home')
    const logDir = join(opts.dir, 'logs')
    await mkdir(logDir, { recursive: true })
    const m = opts.members
    const init = await initHome({ dir: home, chainId: opts.chainId, nodes: m, rollups: ['token', 'kv'], basePort: 0, p2pPorts: Array(m).fill(P2P_PORT), publicPorts: Array(m).fill(PUBLIC_PORT) })
    const genesisText = await readFile(init.genesisFile, 'utf8')
    const out = new PublicLab(lab, parseGenesis(JSON.parse(genesisText)), genesisText, logDir)
    const genesis = out.genesis
    try {
      // relay ports: [from region][to node][port]
      const regions = Math.max(...lab.nodes.map((n) => opts.regionOf(n.index))) + 1
      const relayPort: Array<Array<Map<number, number>>> = []
      for (let from = 0; from < regions; from++) {
        relayPort.push(lab.nodes.map(() => new Map()))
        for (let to = 0; to < regions; to++) {
          const targets = lab.nodes.filter((n) => opts.regionOf(n.index) === to).flatMap((n) => (n.index < m ? [P2P_PORT, PUBLIC_PORT] : [PUBLIC_PORT]).map((port) => ({ node: n.index, host: n.addr, port })))
          if (targets.length === 0) continue
          const relay = new DelayRelay()
          relay.shape = opts.shape(from, to)
          out.relays.push(relay)
          const ports = await relay.listen(lab.rootAddr, targets)
          targets.forEach((t, k) => relayPort[from]![t.node]!.set(t.port, ports[k]!))
        }
      }
      // identify tells nodes each other's own addresses: refuse those paths at once
      await lab.partition(lab.nodes.map((n) => [n.index]), 'unreachable')
      const via = (from: number, to: number, port: number): string => `/ip4/${lab.rootAddr}/tcp/${relayPort[opts.regionOf(from)]![to]!.get(port)!}`
      const memberPeer = genesis.committeeKeys.map((k) => peerIdFromCommitteeKey(k).toString())
      for (const [i, node] of init.nodes.entries()) {
        const config = JSON.parse(await readFile(node.configFile, 'utf8')) as NodeConfigFile
        const addr = lab.nodes[i]!.addr
        config.api = { host: addr, port: API_PORT }
        config.p2p ??= {}
        config.p2p.listen = [`/ip4/${addr}/tcp/${P2P_PORT}`]
        config.p2p.peers = init.nodes.flatMap((_, j) => j === i ? [] : [{ index: j, addrs: [via(i, j, P2P_PORT)] }])
        config.public = { listen: [`/ip4/${addr}/tcp/${PUBLIC_PORT}`], bootstrap: init.nodes.flatMap((_, j) => j === i ? [] : [`${via(i, j, PUBLIC_PORT)}/p2p/${memberPeer[j]}`]) }
        config.consensus = { ...config.consensus, ...opts.consensus }
        await writeFile(node.configFile, JSON.stringify(config, null, 2) + '\n')
      }
      const followerFiles: string[] = []
      const followerPeer: string[] = []
      for (let k = 0; m + k < lab.nodes.length; k++) {
        const i = m + k
        const made = await initFollower({ home, dir: join(home, `follower-${k}`), apiPort: API_PORT, publicPort: PUBLIC_PORT })
        followerPeer.push(made.publicAddr.split('/p2p/')[1]!)
        const config = JSON.parse(await readFile(made.configFile, 'utf8')) as NodeConfigFile
        const addr = lab.nodes[i]!.addr
        config.api = { host: addr, port: API_PORT }
        const toMembers = k < opts.sentries ? memberPeer.map((peer, j) => `${via(i, j, PUBLIC_PORT)}/p2p/${peer}`) : []
        const toFollowers = (k < opts.sentries ? [k - 1] : [k - 1, k - 2]).filter((f) => f >= 0).map((f) => `${via(i, m + f, PUBLIC_PORT)}/p2p/${followerPeer[f]}`)
        config.public = { listen: [`/ip4/${addr}/tcp/${PUBLIC_PORT}`], bootstrap: [...toMembers, ...toFollowers] }
        await writeFile(made.configFile, JSON.stringify(config, null, 2) + '\n')
        followerFiles.push(made.configFile)
      }
      const start = async (node: number, name: string, configFile: string): Promise<LabProcess> => {
        const spawned = await spawnInNamespace(lab.nodes[node]!.ns, configFile, join(logDir, `${name}.log`), { name, logLevel: opts.logLevel ?? 'info', timeoutMs: opts.startTimeoutMs ?? 60_000, onChild: (c) => out.#children.push(c) })
        return { name, node, ...spawned }
      }
      out.members.push(...await Promise.all(init.nodes.map(async (n, i) => start(i, n.name, n.configFile))))
      out.followers.push(...await Promise.all(followerFiles.map(async (file, k) => start(m + k, `follower-${k}`, file))))
      return out
    } catch (err) {
      await out.stop()
      throw err
    }
  }

  async status (p: LabProcess): Promise<NodeStatus> {
    const res = await fetch(`${p.url}/v1/status`, { signal: AbortSignal.timeout(3000) })
    if (res.status !== 200) throw new Error(`${p.name} /v1/status: HTTP ${res.status}`)
    return await res.json() as NodeStatus
  }

  /** Final height per process (-1 where the API did not answer). */
  async heights (ps: LabProcess[]): Promise<number[]> {
    return await Promise.all(ps.map(async (p) => (await this.status(p).catch(() => null))?.height ?? -1))
  }

  async batchHash (p: LabProcess, height: number): Promise<string> {
    const res = await fetch(`${p.url}/v1/blocks/${height}`, { signal: AbortSignal.timeout(5000) })
    if (res.status !== 200) throw new Error(`${p.name} /v1/blocks/${height}: HTTP ${res.status}`)
    return (await res.json() as { hash: string }).hash
  }

  /** chunks the relays carried, summed */
  relayedChunks (): number {
    return this.relays.reduce((n, r) => n + r.stats.chunks, 0)
  }

  async stop (graceMs = 3000): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await stopChildren(this.#children, graceMs)
    await Promise.all(this.relays.map(async (r) => r.close()))
  }
}
