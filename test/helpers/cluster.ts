/** In-process committees of consensus drivers over a MemoryNetwork, with real stores and mempools. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Ed25519Signer, generateKeyPair, sha256 } from '../../src/crypto/index.js'
import { Mempool, defaultMempoolOptions, type MempoolGenesis } from '../../src/mempool/index.js'
import { ConsensusDriver, defaultConsensusDriverOptions, type FinalBlockEvent } from '../../src/ordering/index.js'
import { ChainStore, type ChainStoreOptions } from '../../src/store/index.js'
import { MemoryNetwork } from './memory-network.js'
import { TEST_CHAIN, makeTx } from './txs.js'

export const clusterGenesis: MempoolGenesis & { limits: { maxBatchTxs: number, maxBatchBytes: number } } = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'token', weight: 1 }, { id: 2, name: 'kv', weight: 1 }],
  limits: { maxPayloadBytes: 4096, maxActionsPerTx: 8, maxTxBytes: 16_384, maxExpiryWindowMs: 600_000, maxBatchTxs: 500, maxBatchBytes: 4 * 1024 * 1024 }
}

const GENESIS_HASH = sha256(new TextEncoder().encode('cluster genesis'))

export interface ClusterMember {
  index: number
  store: ChainStore
  mempool: Mempool
  driver: ConsensusDriver
  finals: FinalBlockEvent[]
}

export class Cluster {
  readonly members: Array<ClusterMember | null> = []
  readonly net: MemoryNetwork
  readonly seeds: Uint8Array[]
  readonly committeeKeys: Uint8Array[]
  /** a member's clock, if not the real one (its driver's `now`): skewed-clock tests */
  readonly clocks = new Map<number, () => number>()

  private constructor (readonly dir: string, readonly n: number, readonly options: Partial<typeof defaultConsensusDriverOptions>, readonly mempoolOptions: Partial<typeof defaultMempoolOptions>) {
    this.net = new MemoryNetwork(n)
    this.seeds = Array.from({ length: n }, () => generateKeyPair().seed)
    this.committeeKeys = this.seeds.map((s) => new Ed25519Signer(s).publicKey)
  }

  static async start (n: number, options: Partial<typeof defaultConsensusDriverOptions> = {}, mempoolOptions: Partial<typeof defaultMempoolOptions> = {}, clocks: Map<number, () => number> = new Map()): Promise<Cluster> {
    const dir = await mkdtemp(join(tmpdir(), 'seq-cluster-'))
    const cluster = new Cluster(dir, n, options, mempoolOptions)
    for (const [index, clock] of clocks) cluster.clocks.set(index, clock)
    for (let i = 0; i < n; i++) await cluster.startMember(i)
    return cluster
  }

  async startMember (index: number, storeOptions: ChainStoreOptions = {}): Promise<ClusterMember> {
    this.net.down.delete(index)
    const transport = this.net.replace(index)
    const store = await ChainStore.open(join(this.dir, `node-${index}`), GENESIS_HASH, storeOptions)
    const mempool = new Mempool(clusterGenesis, store, { ...defaultMempoolOptions, ...this.mempoolOptions })
    await mempool.recover()
    const finals: FinalBlockEvent[] = []
    const driver = await ConsensusDriver.restore({
      chainId: clusterGenesis.chainId,
      committeeKeys: this.committeeKeys,
      rollupIds: clusterGenesis.rollups.map((r) => r.id),
      limits: clusterGenesis.limits,
      self: index,
      signer: new Ed25519Signer(this.seeds[index]!),
      store,
      mempool,
      transport,
      logger: pino({ level: process.env.CLUSTER_LOG ?? 'silent' }).child({ node: index }),
      metrics: null,
      onFinal: (e) => finals.push(e),
      ...(this.clocks.has(index) ? { now: this.clocks.get(index)! } : {})
    }, { ...defaultConsensusDriverOptions, baseTimeoutMs: 300, syncIntervalMs: 200, ...this.options })
    driver.start()
    const member = { index, store, mempool, driver, finals }
    this.members[index] = member
    return member
  }

  /**
   * Stops a member as a crash would (its network goes first, then its parts). With
   * `dropQueued`, what its store queued and had not written yet is lost as in a process
   * crash; returns the number of final batches among it.
   */
  async crash (index: number, opts: { dropQueued?: boolean } = {}): Promise<number> {
    const member = this.members[index]
    if (member === null || member === undefined) return 0
    this.net.down.add(index)
    this.members[index] = null
    if (opts.dropQueued === true) {
      const dropped = await member.store.closeDroppingQueued()
      await member.driver.stop()
      return dropped
    }
    await member.driver.stop()
    await member.store.close()
    return 0
  }

  live (): ClusterMember[] {
    return this.members.filter((m): m is ClusterMember => m !== null)
  }

  /** Waits until every live member has every hash final, or throws after `timeoutMs`. */
  async waitFinal (hashes: string[], timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (const member of this.live()) {
      for (const hash of hashes) {
        while ((await member.store.txLocation(Buffer.from(hash, 'hex'))) === null) {
          if (Date.now() > deadline) throw new Error(`member ${member.index} did not finalise ${hash} (height ${member.store.head()?.height ?? -1})`)
          await new Promise((r) => setTimeout(r, 20))
        }
      }
    }
  }

  /** `steps` times: one tx through each live member (rollups 1 and 2 in turn), then wait until all are final; the hashes. */
  async finaliseInSteps (steps: number): Promise<string[]> {
    const hashes: string[] = []
    for (let step = 0; step < steps; step++) {
      const batch: string[] = []
      for (const [i, member] of this.live().entries()) batch.push((await member.mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)).hashHex)
      await this.waitFinal(batch)
      hashes.push(...batch)
    }
    return hashes
  }

  async stop (): Promise<void> {
    for (const m of this.live()) await this.crash(m.index)
    await rm(this.dir, { recursive: true, force: true })
  }
}

