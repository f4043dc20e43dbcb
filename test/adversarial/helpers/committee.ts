/**
 * A 4-member committee on 127.0.0.1 where only members 0-2 run `seqnode` processes: the
 * adversary holds member 3's key (n = 4, f = 1, the three honest members are a quorum).
 * Plus a steady-load latency probe through the public API.
 */
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { loadKeyFile } from '../../../src/crypto/index.js'
import { initHome } from '../../../src/node/init-home.js'
import { parseGenesis, type Genesis } from '../../../src/node/genesis.js'
import { peerIdFromCommitteeKey } from '../../../src/p2p/identity.js'
import {
  freePorts, getMetricsText, getTxStatus, metricValue, patchJsonFile, startNodeProcess, submitTxBytes, tempDir, type NodeProcess
} from '../../helpers/node-process.js'
import { getStatus, sleep, TxSource } from '../../e2e/chain-check.js'
import type { Target } from './adversary.js'

export const BYZANTINE = 3

export interface HonestMember extends Target {
  url: string
  node: NodeProcess
}

export interface ByzantineCommittee {
  chainId: string
  genesis: Genesis
  honest: HonestMember[]
  /** member 3's seed, for the adversary */
  byzantineSeed: Uint8Array
}

interface Teardown { teardown (fn: () => unknown): void }

export async function startByzantineCommittee (t: Teardown, opts: { chainId: string, baseTimeoutMs: number }): Promise<ByzantineCommittee> {
  const root = await tempDir(t, 'seqnode-adversarial-')
  const ports = await freePorts(4)
  const init = await initHome({ dir: join(root, 'home'), chainId: opts.chainId, nodes: 4, rollups: ['token', 'kv'], basePort: 0, p2pPorts: ports })
  const genesis = parseGenesis(JSON.parse(await readFile(init.genesisFile, 'utf8')))
  for (const n of init.nodes) await patchJsonFile(n.configFile, { consensus: { baseTimeoutMs: opts.baseTimeoutMs } })
  const nodes = await Promise.all(init.nodes.slice(0, BYZANTINE).map(async (n) => await startNodeProcess(t, n.configFile, { timeoutMs: 30_000 })))
  const honest = nodes.map((node, index) => ({
    index,
    url: node.url,
    node,
    addr: `/ip4/127.0.0.1/tcp/${ports[index]}/p2p/${peerIdFromCommitteeKey(genesis.committeeKeys[index]!).toString()}`
  }))
  const byzantineSeed = (await loadKeyFile(join(init.nodes[BYZANTINE]!.dir, 'key.json'))).seed
  return { chainId: genesis.chainId, genesis, honest, byzantineSeed }
}

/** A metric of one member, 0 when it has no sample. */
export async function metricOf (member: { url: string }, name: string, labels: Record<string, string> = {}): Promise<number> {
  return metricValue(await getMetricsText(member.url), name, labels) ?? 0
}

export async function heightOf (member: { url: string }): Promise<number> {
  return (await getStatus(member.url)).height
}

/**
 * Steady load: one tx every `intervalMs`, round-robin over the members' APIs; each one's
 * submit -> committed time on the member that took it (status polled every `pollMs`).
 */
export class LatencyProbe {
  readonly #source: TxSource
  readonly samples: number[] = []
  readonly failures: string[] = []
  /** submits that failed before any answer and were sent again, with their causes */
  readonly retried: string[] = []
  #running = false
  #loop: Promise<void> = Promise.resolve()
  readonly #inFlight = new Set<Promise<void>>()

  constructor (chainId: string, readonly members: Array<{ url: string }>, readonly intervalMs = 150, readonly pollMs = 10) {
    this.#source = new TxSource(chainId)
  }

  start (): void {
    this.#running = true
    this.#loop = (async () => {
      for (let i = 0; this.#running; i++) {
        const one = this.#measure(this.members[i % this.members.length]!)
        this.#inFlight.add(one)
        void one.finally(() => this.#inFlight.delete(one))
        await sleep(this.intervalMs)
      }
    })()
  }

  /** Stops submitting and waits for the txs in flight; returns the samples of this run and clears them. */
  async stop (): Promise<number[]> {
    this.#running = false
    await this.#loop
    await Promise.all(this.#inFlight)
    return this.samples.splice(0)
  }

  async #measure (member: { url: string }): Promise<void> {
    const tx = this.#source.next()
    const started = performance.now()
    // A connection that fails before any answer (status 0) is retried as any client would
    // (a submit is idempotent by tx hash); each such failure is kept, with its cause, in `retried`.
    let reply = { status: 0, body: {} as unknown }
    for (let attempt = 0; attempt < 3 && reply.status === 0; attempt++) {
      reply = await submitTxBytes(member.url, tx.bytes).catch((err: Error) => {
        this.retried.push(`${err.message}: ${String((err.cause as Error | undefined)?.message ?? err.cause)}`)
        return { status: 0, body: { error: { code: 'FETCH', message: err.message } } }
      })
    }
    if (reply.status !== 202) {
      this.failures.push(`submit: HTTP ${reply.status} ${JSON.stringify(reply.body)}`)
      return
    }
    const deadline = started + 20_000
    while (performance.now() < deadline) {
      const status = await getTxStatus(member.url, tx.hash).catch(() => null)
      if (status?.status === 'committed') {
        this.samples.push(performance.now() - started)
        return
      }
      await sleep(this.pollMs)
    }
    this.failures.push(`${tx.hash} not committed within 20 s`)
  }
}

export function median (values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
