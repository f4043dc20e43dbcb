/**
 * A follower: a node with no vote. It joins the public network (src/p2p/public-network.ts),
 * takes in final batches from the final topic and by catch-up sync, checks every one
 * against the genesis committee before storing it (final-intake.ts), and serves the same
 * read API as a member (status, batches, slices, streams, metrics) and the in-process
 * rollups. Txs submitted to it are checked and gossiped toward the committee (tx-relay.ts).
 * It never serves anything it has not verified, and a rollup reading from it needs to
 * trust only the committee's keys (the SDK checks the proofs again).
 */
import { pino, type Logger } from 'pino'
import { Counter, Gauge, Histogram } from 'prom-client'
import { createApiMetrics, createApiServer, type ApiServer } from '../api/index.js'
import type { ApiBackend, NodeStatus, TxStatus } from '../api/types.js'
import { bytesToHex, equalBytes, loadKeyFile, sha256 } from '../crypto/index.js'
import { VerifiedSenders, type MempoolGenesis } from '../mempool/index.js'
import { judgeRelayedBundle, relayHome } from './relayed-tx.js'
import { PublicNetwork } from '../p2p/public-network.js'
import { peerIdFromCommitteeKey } from '../p2p/identity.js'
import { createRollupMetrics, startBuiltinRollups, type RollupAdapters } from '../rollup-adapters/index.js'
import type { ChainStore } from '../store/index.js'
import { chainRules } from '../node/data-check.js'
import type { NodeConfig } from '../node/config.js'
import { loadGenesis, type Genesis } from '../node/genesis.js'
import { createNodeMetrics, type NodeMetrics } from '../node/metrics.js'
import { SliceService } from '../node/slice-service.js'
import { finalReads, openCheckedStore, resolveRollup, stopParts } from '../node/node-parts.js'
import { FinalIntake } from './final-intake.js'
import { FinalSyncClient, serveFinalRange } from './final-sync.js'
import { TxBundler } from './tx-bundler.js'
import { TxRelay } from './tx-relay.js'
import { CodedError } from '../util/index.js'

/** how often a follower asks a peer whether it is behind, when gossip shows no gap */
const SYNC_INTERVAL_MS = 1000
const SYNC_TIMEOUT_MS = 5000
/** tx bytes per gossip message: a few hundred typical txs, far below any message limit */
const RELAY_BUNDLE_BYTES = 256 * 1024

export class FollowerStartError extends CodedError<'FOLLOWER_START_FAILED'> {
  constructor (message: string) {
    super('FOLLOWER_START_FAILED', message)
    this.name = 'FollowerStartError'
  }
}

export class FollowerNode {
  #store: ChainStore | null = null
  #network: PublicNetwork | null = null
  #sync: FinalSyncClient | null = null
  #relay: TxRelay | null = null
  #slices: SliceService | null = null
  #rollups: RollupAdapters | null = null
  #api: ApiServer | null = null
  #apiUrl = ''
  #closed = false
  /** timestamp of the highest stored final batch: settles relayed txs that expired (tx-relay.ts) */
  #finalTimestamp = -1
  /** tx signatures the relay checked: the in-process rollups skip them (mempool/verified-senders.ts) */
  readonly #verifiedSenders = new VerifiedSenders()
  readonly #finalListeners = new Set<(height: number) => void>()
  metrics: NodeMetrics | null = null

  private constructor (readonly config: NodeConfig, readonly genesis: Genesis, readonly publicKey: Uint8Array, private readonly seed: Uint8Array, readonly logger: Logger) {}

  static async create (config: NodeConfig, opts: { logger?: Logger } = {}): Promise<FollowerNode> {
    const logger = opts.logger ?? pino({ level: config.logLevel, base: { component: 'seqnode', role: 'follower' } })
    const genesis = await loadGenesis(config.genesisFile)
    const key = await loadKeyFile(config.keyFile)
    if (genesis.committeeKeys.some((k) => equalBytes(k, key.publicKey))) {
      throw new FollowerStartError(`the key in ${config.keyFile} is a committee member's; a follower needs a key of its own (seqnode keygen)`)
    }
    if (config.public === undefined) throw new FollowerStartError('a follower needs the public network in its config (public.listen, public.bootstrap)')
    const node = new FollowerNode(config, genesis, key.publicKey, key.seed, logger)
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
    this.#store = await openCheckedStore(config.dataDir, genesis)
    const store = this.#store
    const rules = chainRules(genesis)
    this.metrics = createNodeMetrics({ mempool: () => ({ txs: 0, bytes: 0 }), peers: () => this.#network?.connectedPeers().length ?? 0 })
    const metrics = this.metrics
    const verdicts = new Counter({ name: 'seq_follower_messages_total', help: 'Public-network messages a follower judged, by kind and verdict', labelNames: ['kind', 'verdict'], registers: [metrics.registry] })
    const relayed = new Counter({ name: 'seq_follower_txs_relayed_total', help: 'Txs a follower checked and gossiped toward the committee', registers: [metrics.registry] })
    const bundles = new Counter({ name: 'seq_follower_relay_bundles_total', help: 'Messages (RelayBundle) the relayed txs left in, by path: direct to their home member, or the tx topic', labelNames: ['path'], registers: [metrics.registry] })
    const lag = new Histogram({
      name: 'seq_follower_final_lag_seconds',
      help: 'A final batch\'s age (now - its header timestamp, the proposer\'s clock) when its first copy reached this follower, by the path of that copy',
      labelNames: ['via'],
      buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
      registers: [metrics.registry]
    })
    const intakeTime = new Histogram({
      name: 'seq_follower_final_intake_seconds',
      help: 'From a final batch\'s first copy reaching this follower to its streams being told (queue, checks, store), by the path of that copy',
      labelNames: ['via'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2],
      registers: [metrics.registry]
    })
    const behind = new Gauge({ name: 'seq_follower_lag_heights', help: 'Final heights peers reported that this follower has not stored yet', registers: [metrics.registry] })
    metrics.finalHeight.set(store.head()?.height ?? -1)
    this.#slices = new SliceService(store)
    const intake = new FinalIntake(store, rules)
    const memberPeers = genesis.committeeKeys.map((key) => peerIdFromCommitteeKey(key).toString())
    const pub = config.public!
    const network = new PublicNetwork({
      chainId: genesis.chainId,
      seed: this.seed,
      listen: pub.listen,
      ...(pub.announce !== undefined ? { announce: pub.announce } : {}),
      bootstrap: pub.bootstrap,
      maxMessageBytes: config.p2p.maxMessageBytes,
      // each member pushes every final batch at commit (the first copy wins, the others are
      // dropped by hash) and takes its share of relayed txs on a direct stream
      members: new Set(memberPeers),
      logger
    })
    this.#network = network
    const mempoolGenesis: MempoolGenesis = { chainId: genesis.chainId, rollups: genesis.rollups, limits: genesis.limits }
    network.onTx((_peer, bytes) => {
      const verdict = judgeRelayedBundle(mempoolGenesis, bytes, (hash) => store.txLocationSync(hash) !== null)
      verdicts.inc({ kind: 'tx', verdict })
      return verdict
    })
    network.onFinalBatch(async (_peer, bytes, via) => {
      if (via === 'direct') return 'ignore' // a final batch never comes this way
      const outcome = await intake.acceptBytes(bytes, { at: performance.now(), via })
      verdicts.inc({ kind: via === 'push' ? 'final_push' : 'final', verdict: outcome.verdict })
      if (outcome.verdict === 'accept' && outcome.stored.length === 0) this.#sync?.poke() // a gap below it
      return outcome.verdict
    })
    network.handleSync(async (bytes) => serveFinalRange(store, bytes, config.p2p.maxMessageBytes))
    const head = store.head()
    this.#finalTimestamp = head === null ? -1 : (await store.getBatch(head.height))?.header.timestamp ?? -1
    this.#relay = new TxRelay({
      genesis: mempoolGenesis,
      bundler: new TxBundler({
        // a tx's home member, as members reckon it (follower/relayed-tx.ts): straight to it when a drained stream is open
        route: (tx) => memberPeers[relayHome(sha256(tx), memberPeers.length)]!,
        publish: async (bundle, home) => {
          if (network.sendTxsDirect(home, bundle)) {
            bundles.inc({ path: 'direct' })
            return
          }
          bundles.inc({ path: 'topic' })
          await network.publishTxs(bundle)
        },
        maxBytes: RELAY_BUNDLE_BYTES
      }),
      isFinal: (hash) => store.txLocationSync(hash) !== null,
      finalTimestamp: () => this.#finalTimestamp,
      verifiedSenders: this.#verifiedSenders
    })
    intake.onStored((height, timestamp, payload, arrival) => {
      this.#finalTimestamp = timestamp
      lag.observe({ via: arrival.via }, (performance.timeOrigin + arrival.at - timestamp) / 1000)
      intakeTime.observe({ via: arrival.via }, (performance.now() - arrival.at) / 1000)
      // Gossip forwards only what its validator accepted; a pushed batch never went through it,
      // so it goes on the topic from here for followers that see no member (sentry layouts).
      // The same bytes as the proposer's publish share its message id: no copy travels twice.
      if (arrival.via === 'push' && arrival.bytes !== undefined) network.publishFinal(arrival.bytes).catch((err: unknown) => { logger.debug({ err, height }, 'republishing a pushed batch failed') })
      if (payload !== null) this.#slices?.remember(height, payload)
      metrics.batchesFinal.inc()
      metrics.finalHeight.set(height)
      behind.set(Math.max(0, (this.#sync?.peerHeight ?? -1) - height))
      for (const listener of this.#finalListeners) {
        try {
          listener(height)
        } catch (err) {
          logger.warn({ err }, 'a final-batch listener threw')
        }
      }
    })
    await network.start()
    this.#sync = new FinalSyncClient({
      intake,
      peers: () => network.connectedPeers(),
      request: async (peer, bytes, timeoutMs) => network.requestSync(peer, bytes, timeoutMs),
      onBadAnswer: (peer, reason) => { network.reportReject(peer, reason) },
      intervalMs: SYNC_INTERVAL_MS,
      timeoutMs: SYNC_TIMEOUT_MS
    })
    this.#sync.start()
    const backend = this.#backend(relayed)
    const verified = this.#verifiedSenders
    this.#rollups = await startBuiltinRollups({
      provider: { ...backend, verifiedBefore: (hashHex, signature) => verified.has(hashHex, signature) },
      chainId: genesis.chainId,
      rollupsDir: config.rollupsDir,
      logger: logger.child({ module: 'rollups' }),
      metrics: createRollupMetrics(metrics.registry)
    }, config.rollups.map((r) => ({ kind: r.kind, rollupId: r.rollupId, ...(r.genesis !== undefined ? { genesis: r.genesis } : {}) })))
    const { host, port, explorer, ...apiLimits } = config.api
    this.#api = createApiServer({
      backend,
      host,
      port,
      limits: apiLimits,
      explorer: explorer !== false,
      metrics: createApiMetrics(metrics.registry),
      bodyLimitBytes: Math.ceil(genesis.limits.maxTxBytes * 1.5) + 4096,
      logger: logger.child({ module: 'api' })
    })
    this.#apiUrl = (await this.#api.start()).url
    logger.info({ url: this.#apiUrl, publicAddrs: network.listenAddrs, peerId: network.peerId }, 'follower started')
  }

  get apiUrl (): string {
    return this.#apiUrl
  }

  get publicAddrs (): string[] {
    return this.#network?.listenAddrs ?? []
  }

  get peerId (): string {
    return this.#network?.peerId ?? ''
  }

  status (): NodeStatus {
    return {
      chainId: this.genesis.chainId,
      nodeId: bytesToHex(this.publicKey),
      nodeIndex: -1,
      role: 'follower',
      height: this.#store?.head()?.height ?? -1,
      round: 0,
      leader: -1,
      committee: this.genesis.committee.map((m, index) => ({ index, name: m.name, publicKey: m.publicKey })),
      peers: this.#network?.connectedPeers().length ?? 0,
      mempool: { txs: 0, bytes: 0 },
      rollups: this.genesis.rollups.map((r) => ({ id: r.id, name: r.name, weight: r.weight }))
    }
  }

  async txStatus (hash: Uint8Array): Promise<TxStatus | null> {
    const location = await this.#store!.txLocation(hash)
    if (location !== null) return { status: 'committed', height: location.height, index: location.index }
    const relayed = this.#relay?.status(bytesToHex(hash)) ?? null
    if (relayed === null) return null
    return relayed.status === 'relayed' ? { status: 'relayed' } : { status: 'rejected', code: relayed.code, message: relayed.message, reason: relayed.reason }
  }

  onFinal (listener: (height: number) => void): () => void {
    this.#finalListeners.add(listener)
    return () => this.#finalListeners.delete(listener)
  }

  #backend (relayed: Counter): ApiBackend {
    const store = this.#store!
    const slices = this.#slices!
    const relay = this.#relay!
    const registry = this.metrics!.registry
    return {
      submitTx: async (bytes) => {
        const { hash } = await relay.submit(bytes)
        relayed.inc()
        return { hash, status: 'relayed' }
      },
      txStatus: async (hash) => this.txStatus(hash),
      status: () => this.status(),
      ...finalReads(store, slices),
      resolveRollup: (idOrName) => resolveRollup(this.genesis, idOrName),
      onFinal: (listener) => this.onFinal(listener),
      rollupStates: () => this.#rollups?.statuses() ?? [],
      rollupQuery: () => null,
      metricsText: async () => registry.metrics(),
      metricsContentType: registry.contentType
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await stopParts([
      ['api', this.#api === null ? null : async () => this.#api!.stop()],
      ['rollups', this.#rollups === null ? null : async () => this.#rollups!.stop()],
      ['sync', this.#sync === null ? null : async () => { this.#sync!.stop() }],
      ['network', this.#network === null ? null : async () => this.#network!.stop()],
      ['store', this.#store === null ? null : async () => this.#store!.close()]
    ], this.logger)
    this.#finalListeners.clear()
    this.logger.info('follower closed')
  }
}
