/**
 * Wires one node: store, metrics, mempool (with WAL recovery), network, consensus, API.
 * Parts are built in dependency order and torn down in reverse; close() is safe to call
 * twice and a failed create() closes whatever it had already started.
 */
import { pino, type Logger } from 'pino'
import { createApiMetrics, createApiServer, type ApiServer, type DevControl } from '../api/index.js'
import type { ApiBackend, NodeStatus, RollupInfo, TxStatus } from '../api/types.js'
import { bytesToHex, Ed25519Signer, ed25519Ops, equalBytes, loadKeyFile } from '../crypto/index.js'
import { Mempool } from '../mempool/index.js'
import { ConsensusDriver, SoleMemberTransport, type CommitteeClock, type ConsensusTransport, type FinalBlockEvent } from '../ordering/index.js'
import { startCommitteeTransport, type StartedTransport } from './p2p-startup.js'
import { NetworkIsolation } from '../p2p/index.js'
import { createRollupMetrics, rollupSyncWrites, startBuiltinRollups, KvRollup, TokenRollup, type RollupAdapters } from '../rollup-adapters/index.js'
import { hexToBytes } from '../crypto/index.js'
import { MEMBER_WRITE_BEHIND_MS, StoreFaults, type ChainStore } from '../store/index.js'
import { CodecError } from '../codec/index.js'
import type { NodeConfig } from './config.js'
import { NodeStartError } from './errors.js'
import { loadGenesis, type Genesis } from './genesis.js'
import { createNodeMetrics, type NodeMetrics } from './metrics.js'
import { SliceService } from './slice-service.js'
import { PublicGateway } from './public-gateway.js'
import { clockOffsetFromEnv, clockStatus, memberClock, registerClockMetrics } from './clock.js'
import { markMemberSigned, memberHasSigned } from './signed-marker.js'
import { finalReads, openCheckedStore, resolveRollup, stopParts, storeFaultView } from './node-parts.js'
import { devFaultControl } from './dev-faults.js'

type NodeState = 'starting' | 'started' | 'closing' | 'closed'

export class SequencerNode {
  #state: NodeState = 'starting'
  #store: ChainStore | null = null
  #mempool: Mempool | null = null
  #driver: ConsensusDriver | null = null
  #transport: StartedTransport | null = null
  #rollups: RollupAdapters | null = null
  #api: ApiServer | null = null
  #apiUrl = ''
  #finalListeners = new Set<(height: number) => void>()
  #slices: SliceService | null = null
  #gateway: PublicGateway | null = null
  /** dev control (config.dev.control): isolate this member from the committee and heal it */
  readonly #isolation: NetworkIsolation | null
  #storeFaults: StoreFaults | null = null
  /** the committee time (ordering/committee-clock.ts), shared by the mempool, the driver and the status */
  readonly #clock: CommitteeClock
  readonly #clockOffsetMs: number
  metrics: NodeMetrics | null = null

  private constructor (
    readonly config: NodeConfig,
    readonly genesis: Genesis,
    readonly signer: Ed25519Signer,
    private readonly seed: Uint8Array,
    readonly nodeIndex: number,
    readonly logger: Logger
  ) {
    this.#isolation = config.dev.control ? new NetworkIsolation() : null
    this.#clockOffsetMs = clockOffsetFromEnv()
    this.#clock = memberClock(genesis.committee.length, nodeIndex, this.#clockOffsetMs, config.consensus.maxClockOffsetMs)
  }

  static async create (config: NodeConfig, opts: { logger?: Logger } = {}): Promise<SequencerNode> {
    const logger = opts.logger ?? pino({ level: config.logLevel, base: { component: 'seqnode' } })
    const genesis = await loadGenesis(config.genesisFile)
    const key = await loadKeyFile(config.keyFile)
    const nodeIndex = genesis.committeeKeys.findIndex((k) => equalBytes(k, key.publicKey))
    if (nodeIndex < 0) throw new NodeStartError(`the key in ${config.keyFile} is not a member of the genesis committee`)
    const node = new SequencerNode(config, genesis, new Ed25519Signer(key.seed), key.seed, nodeIndex, logger)
    try {
      await node.#start()
    } catch (err) {
      await node.close()
      throw err
    }
    return node
  }

  async #start (): Promise<void> {
    const { config, genesis, logger } = this
    if (config.store.faults !== undefined) logger.warn({ faults: config.store.faults }, 'store fault injection is on (store.faults): writes fail or wait on purpose')
    // dev control can inject store faults at run time (/v1/dev/faults), so it always has the hook
    if (config.store.faults !== undefined || this.#isolation !== null) this.#storeFaults = new StoreFaults(config.store.faults ?? {})
    this.#store = await openCheckedStore(config.dataDir, genesis, {
      writeBehindMs: MEMBER_WRITE_BEHIND_MS,
      logger: logger.child({ module: 'store' }),
      ...(this.#storeFaults !== null ? { faults: this.#storeFaults } : {})
    })
    const store = this.#store
    this.metrics = createNodeMetrics({
      mempool: () => this.#mempool?.stats() ?? { txs: 0, bytes: 0 },
      peers: () => this.#transport?.transport.connectedMembers().length ?? 0,
      store: () => ({ failures: store.writeFailures, faulted: store.faultedPaths() }),
      cost: {
        syncWrites: () => ({ ...store.syncWrites, rollup: rollupSyncWrites.count }),
        ed25519: () => ed25519Ops
      }
    })
    const metrics = this.metrics
    registerClockMetrics(this.#clock, metrics.registry)
    metrics.finalHeight.set(store.head()?.height ?? -1)
    this.#slices = new SliceService(store)
    const now = (): number => this.#clock.now()
    this.#mempool = new Mempool(genesis, store, config.mempool, { admitted: metrics.txsAdmitted, rejected: metrics.txsRejected, laneRefused: metrics.laneRefused }, now)
    const recovery = await this.#mempool.recover().catch((err: unknown) => {
      throw err instanceof CodecError ? store.corrupt(`a write-ahead log entry does not decode: ${err.message}`) : err
    })
    logger.info({ ...recovery, height: store.head()?.height ?? -1 }, 'mempool recovered from the write-ahead log')
    let transport: ConsensusTransport = new SoleMemberTransport()
    if (genesis.committee.length > 1) {
      this.#transport = await startCommitteeTransport({ config, genesis, seed: this.seed, selfIndex: this.nodeIndex, logger, registry: metrics.registry, isolation: this.#isolation })
      transport = this.#transport.transport
    }
    // a committee of one has nobody its old signatures could conflict at
    const signedBefore = genesis.committee.length > 1 && await memberHasSigned(config.dataDir)
    this.#driver = await ConsensusDriver.restore({
      signedBefore,
      beforeFirstSafetyWrite: async () => { if (!await memberHasSigned(config.dataDir)) await markMemberSigned(config.dataDir) },
      chainId: genesis.chainId,
      committeeKeys: genesis.committeeKeys,
      rollupIds: genesis.rollups.map((r) => r.id),
      limits: genesis.limits,
      self: this.nodeIndex,
      signer: this.signer,
      store,
      mempool: this.#mempool,
      transport,
      logger: logger.child({ module: 'consensus' }),
      metrics: metrics.consensus,
      onFinal: (event) => this.#onFinal(event),
      clock: this.#clock,
      ...(this.#transport !== null ? { onReject: this.#transport.onConsensusReject } : {})
    }, config.consensus)
    this.#driver.start()
    if (config.public !== undefined) {
      const connected = (index: number): boolean => this.#transport?.transport.connectedMembers().includes(index) ?? false
      this.#gateway = await PublicGateway.start({
        config: { public: config.public, p2p: config.p2p },
        chainId: genesis.chainId,
        genesis: { chainId: genesis.chainId, rollups: genesis.rollups, limits: genesis.limits },
        seed: this.seed,
        selfIndex: this.nodeIndex,
        committeeSize: genesis.committee.length,
        isMemberConnected: connected,
        store,
        mempool: this.#mempool,
        logger
      })
    }
    for (const r of config.rollups) {
      if (!genesis.rollups.some((g) => g.id === r.rollupId)) throw new NodeStartError(`config runs rollup ${r.rollupId}, which genesis does not list`)
    }
    const mempool = this.#mempool!
    this.#rollups = await startBuiltinRollups({
      provider: { ...this.#backend(), verifiedBefore: (hashHex, signature) => mempool.verifiedSenders.has(hashHex, signature) },
      chainId: genesis.chainId,
      rollupsDir: config.rollupsDir,
      logger: logger.child({ module: 'rollups' }),
      metrics: createRollupMetrics(metrics.registry)
    }, config.rollups.map((r) => ({ kind: r.kind, rollupId: r.rollupId, ...(r.genesis !== undefined ? { genesis: r.genesis } : {}) })))
    const { host, port, explorer, ...apiLimits } = config.api
    this.#api = createApiServer({
      backend: this.#backend(),
      host,
      port,
      limits: apiLimits,
      explorer: explorer !== false,
      metrics: createApiMetrics(metrics.registry),
      bodyLimitBytes: Math.ceil(genesis.limits.maxTxBytes * 1.5) + 4096, // base64 JSON is 4/3 of the binary size
      logger: logger.child({ module: 'api' }),
      ...(this.#isolation !== null ? { dev: this.#devControl(this.#isolation) } : {})
    })
    const { url } = await this.#api.start()
    this.#apiUrl = url
    this.#state = 'started'
    logger.info({ url, chainId: genesis.chainId, nodeIndex: this.nodeIndex }, 'node started')
  }

  #devControl (isolation: NetworkIsolation): DevControl {
    const faults = devFaultControl({ isolation, store: this.#storeFaults!, members: this.genesis.committee.length, self: this.nodeIndex, log: this.logger })
    return { state: () => isolation.state(), isolate: () => isolation.isolate(), heal: () => isolation.heal(), faults }
  }

  get apiUrl (): string {
    return this.#apiUrl
  }

  get state (): NodeState {
    return this.#state
  }

  #onFinal (event: FinalBlockEvent): void {
    const metrics = this.metrics
    const now = performance.now()
    if (metrics !== null) {
      metrics.batchesFinal.inc()
      metrics.finalHeight.set(event.height)
      metrics.batchTxs.observe(event.payload.counted.length)
      for (const entry of event.finalEntries) metrics.txFinalLatency.observe((now - entry.admittedAt) / 1000)
    }
    this.#slices?.remember(event.height, { header: event.header, finality: event.proof, leaves: event.payload.leaves, sliceLeaves: event.payload.sliceLeaves, tree: event.payload.tree })
    this.#gateway?.onFinal(event.height, event.header.proposer)
    this.logger.debug({ height: event.height, txs: event.payload.counted.length }, 'final')
    for (const listener of this.#finalListeners) {
      try {
        listener(event.height)
      } catch (err) {
        this.logger.warn({ err }, 'a final-batch listener threw')
      }
    }
  }

  status (): NodeStatus {
    const stats = this.#mempool?.stats() ?? { txs: 0, bytes: 0 }
    return {
      chainId: this.genesis.chainId,
      nodeId: bytesToHex(this.signer.publicKey),
      nodeIndex: this.nodeIndex,
      role: 'member',
      height: this.#store?.head()?.height ?? -1,
      round: this.#driver?.core.round ?? 0,
      leader: this.#driver === null ? 0 : this.#driver.core.leaderOf(this.#driver.core.round),
      committee: this.genesis.committee.map((m, index) => ({ index, name: m.name, publicKey: m.publicKey })),
      peers: this.#transport?.transport.connectedMembers().length ?? 0,
      mempool: { txs: stats.txs, bytes: stats.bytes },
      rollups: this.genesis.rollups.map((r) => ({ id: r.id, name: r.name, weight: r.weight })),
      storeFault: storeFaultView(this.#store),
      clock: clockStatus(this.#clock, this.#clockOffsetMs)
    }
  }

  /**
   * The chain first: a tx the member re-admitted from its WAL after a crash took back its
   * last final batches can sit in the mempool again once those batches are back (it leaves
   * with its next chunk); final is what it is.
   */
  async txStatus (hash: Uint8Array): Promise<TxStatus | null> {
    const location = this.#store!.txLocationSync(hash)
    if (location !== null) return { status: 'committed', height: location.height, index: location.index }
    return this.#mempool?.state(bytesToHex(hash)) ?? null
  }

  resolveRollup (idOrName: string): RollupInfo | null {
    return resolveRollup(this.genesis, idOrName)
  }

  #rollupQuery (rollupId: number, key: string): Record<string, unknown> | null {
    const executor = this.#rollups?.executor(rollupId) ?? null
    const bytes = hexToBytes(key)
    if (bytes === null) return null
    if (executor instanceof TokenRollup) {
      if (bytes.length !== 32) return null
      return { account: key, balance: executor.balance(bytes), nonce: executor.nonce(bytes) }
    }
    if (executor instanceof KvRollup) {
      const entry = executor.lookup(bytes)
      return entry === undefined ? null : { key, owner: bytesToHex(entry.owner), value: bytesToHex(entry.value) }
    }
    return null
  }

  onFinal (listener: (height: number) => void): () => void {
    this.#finalListeners.add(listener)
    return () => this.#finalListeners.delete(listener)
  }

  #backend (): ApiBackend {
    const store = this.#store!
    const mempool = this.#mempool!
    const slices = this.#slices!
    const registry = this.metrics!.registry
    return {
      submitTx: async (bytes, claimedRollup) => {
        const { hashHex } = await mempool.admit(bytes, claimedRollup)
        return { hash: hashHex, status: 'pending' }
      },
      laneGate: (rollupId) => mempool.laneGate(rollupId),
      overloadGate: () => mempool.overloadGate(),
      txStatus: (hash) => this.txStatus(hash),
      status: () => this.status(),
      ...finalReads(store, slices),
      resolveRollup: (idOrName) => this.resolveRollup(idOrName),
      onFinal: (listener) => this.onFinal(listener),
      rollupStates: () => this.#rollups?.statuses() ?? [],
      rollupQuery: (rollupId, key) => this.#rollupQuery(rollupId, key),
      metricsText: () => registry.metrics(),
      metricsContentType: registry.contentType
    }
  }

  async close (): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return
    this.#state = 'closing'
    // A dead disk must not hold the shutdown: the consensus stop waits for its safety write.
    this.#store?.abandonFailingWrites()
    await stopParts([
      ['api', this.#api === null ? null : async () => this.#api!.stop()],
      ['rollups', this.#rollups === null ? null : async () => this.#rollups!.stop()],
      ['public network', this.#gateway === null ? null : async () => this.#gateway!.stop()],
      ['consensus', this.#driver === null ? null : async () => this.#driver!.stop()],
      ['network', this.#transport === null ? null : async () => this.#transport!.stop()],
      ['store', this.#store === null ? null : async () => this.#store!.close()]
    ], this.logger)
    this.#finalListeners.clear()
    this.#state = 'closed'
    this.logger.info('node closed')
  }
}

