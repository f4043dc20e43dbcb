/**
 * Runs the consensus core for one member: feeds it network messages, timers and work,
 * and carries out its actions (persist the safety state with sync: true before anything
 * leaves, send, time, build proposals, commit, fetch). Everything that touches the core
 * goes through one serial queue, so the core sees one event at a time.
 *
 * Around the core: the chunk packer (ingress), the chunk pool, payload checks of
 * proposals and fetched blocks, the block / chunk / sync request handlers, and catch-up.
 */
import type { Logger } from 'pino'
import {
  BatchSchema, BlockBundleSchema, BlockRequestSchema, ChunkSchema, BlockResponseSchema, CertificateSchema, ChunkRequestSchema, ChunkResponseSchema,
  CommitProofSchema, ConsensusEnvelopeSchema, ConsensusKind, ProposalSchema, SafetyStateSchema, SyncRequestSchema, SyncResponseSchema,
  TimeoutSchema, VoteSchema, CodecError, CodecErrorCode, decode, encode, type BatchHeader, type BlockBundle, type Certificate, type Chunk, type CommitProof, type Proposal
} from '../codec/index.js'
import { bytesToHex, equalBytes, verifyEd25519, type Ed25519Signer } from '../crypto/index.js'
import { batchHash } from '../batch/index.js'
import type { Mempool, MempoolEntry } from '../mempool/index.js'
import type { ChainStore } from '../store/index.js'
import { checkChunk, computePayload, headerMismatch, type BlockPayload, type ChunkRules } from './block-payload.js'
import { ChunkPacker, defaultChunkPackerOptions, type ChunkPackerOptions, type PackedChunk } from './chunk-packer.js'
import { ChunkPool } from './chunk-pool.js'
import { verifyCommitProof } from './commit-proof.js'
import { ConsensusCore, type CoreAction, type CoreBlock, type CoreEvent, type ConsensusMessage, type SafetyState, type CommittedTip } from './consensus-core.js'
import { Protocols, type ConsensusTransport } from './transport.js'

export interface ConsensusDriverOptions {
  /** first round timeout on an active chain; doubles per consecutive timeout */
  baseTimeoutMs: number
  maxTimeoutMs: number
  /** request/response deadline (chunks, blocks, sync) */
  requestTimeoutMs: number
  /** how far ahead of our clock a proposal's timestamp may be */
  maxClockDriftMs: number
  /** how often to ask a peer whether we are behind */
  syncIntervalMs: number
  /** batches per catch-up request */
  syncBatchSize: number
  packer: ChunkPackerOptions
}

export const defaultConsensusDriverOptions: ConsensusDriverOptions = {
  baseTimeoutMs: 1000, // ~100x a loopback round trip, still a quick recovery from a dead leader
  maxTimeoutMs: 10_000, // a partitioned committee retries at least every 10 s
  requestTimeoutMs: 2000,
  maxClockDriftMs: 5000, // clocks of one machine or an NTP-synced LAN agree far better
  syncIntervalMs: 1000,
  syncBatchSize: 256,
  packer: defaultChunkPackerOptions
}

interface CounterLike { inc (labels: Record<string, string>): void }
interface GaugeLike { set (value: number): void }
interface HistogramLike { observe (value: number): void }
export interface ConsensusMetrics {
  round: GaugeLike
  roundDuration: HistogramLike
  roundsEntered: CounterLike
  votesSent: CounterLike
  proposals: CounterLike
  rejected: CounterLike
  chunkFetches: CounterLike
  chunksReceived: CounterLike
  syncedBatches: CounterLike
}

export interface FinalBlockEvent {
  height: number
  hash: Uint8Array
  header: BatchHeader
  payload: BlockPayload
  proof: CommitProof
  /** own mempool entries that became final with this batch */
  finalEntries: MempoolEntry[]
}

export interface ConsensusDriverDeps {
  chainId: string
  committeeKeys: Uint8Array[]
  rollupIds: number[]
  limits: { maxBatchTxs: number, maxBatchBytes: number, maxActionsPerTx: number, maxPayloadBytes: number, maxTxBytes: number }
  self: number
  signer: Ed25519Signer
  store: ChainStore
  mempool: Mempool
  transport: ConsensusTransport
  logger: Logger
  metrics: ConsensusMetrics | null
  onFinal: (event: FinalBlockEvent) => void
  /** a message of member `from` was refused (kind and reason as in `rejected`): lets the network score the sender */
  onReject?: (from: number, kind: string, reason: string) => void
  now?: () => number
}

const MAX_BUFFERED = 64

export class ConsensusDriver {
  readonly #core: ConsensusCore
  readonly #pool = new ChunkPool()
  readonly #packer: ChunkPacker
  readonly #rules: ChunkRules
  /** payloads of uncommitted blocks this member checked, by block hash */
  readonly #payloads = new Map<string, BlockPayload>()
  /** tx hashes of each pooled chunk, by chunk digest */
  readonly #chunkHashes = new Map<string, Uint8Array[]>()
  /** own chunks' mempool entries, by digest */
  readonly #ownChunks = new Map<string, MempoolEntry[]>()
  /** proposals waiting for their parent block, by parent hash */
  readonly #waitingForParent = new Map<string, Array<{ from: number, proposal: Proposal }>>()
  readonly #fetching = new Set<string>()
  #queue: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null
  #syncTimer: NodeJS.Timeout | null = null
  #syncing = false
  /** our next height when a probe last found us behind but within the pipeline, else -1 */
  #lackedAtLastProbe = -1
  #pendingWork = false
  #roundStartedAt = 0
  #running = false
  readonly #now: () => number

  constructor (private readonly deps: ConsensusDriverDeps, restored: { safety: SafetyState | null, tip: CommittedTip | null }, private readonly options: ConsensusDriverOptions = defaultConsensusDriverOptions) {
    this.#now = deps.now ?? Date.now
    this.#core = new ConsensusCore({
      chainId: deps.chainId,
      committeeKeys: deps.committeeKeys,
      self: deps.self,
      baseTimeoutMs: options.baseTimeoutMs,
      maxTimeoutMs: options.maxTimeoutMs
    }, { sign: (m) => deps.signer.sign(m), verify: verifyEd25519, batchHash }, restored)
    this.#rules = {
      chainId: deps.chainId,
      committeeKeys: deps.committeeKeys,
      rollupIds: new Set(deps.rollupIds),
      maxActionsPerTx: deps.limits.maxActionsPerTx,
      maxPayloadBytes: deps.limits.maxPayloadBytes,
      // a chunk larger than a whole batch could never be proposed and would block its lane
      maxTxsPerChunk: Math.min(options.packer.maxChunkTxs * 4, deps.limits.maxBatchTxs)
    }
    this.#packer = new ChunkPacker({
      chainId: deps.chainId,
      self: deps.self,
      signer: deps.signer,
      mempool: deps.mempool,
      onPacked: (packed) => this.#onPacked(packed),
      onError: (err) => deps.logger.error({ err }, 'packing a chunk failed')
    }, packerWithinBatchLimits(options.packer, deps.limits))
  }

  /** Restores the core from the store and starts ordering. */
  static async restore (deps: ConsensusDriverDeps, options: ConsensusDriverOptions = defaultConsensusDriverOptions): Promise<ConsensusDriver> {
    const raw = await deps.store.getSafetyState()
    const safety = raw === null ? null : decode(SafetyStateSchema, raw)
    const head = deps.store.head()
    let tip: CommittedTip | null = null
    if (head !== null) {
      const batch = await deps.store.getBatch(head.height)
      tip = { hash: head.hash, height: head.height, round: batch!.header.round, timestamp: batch!.header.timestamp }
    }
    return new ConsensusDriver(deps, { safety, tip }, options)
  }

  get core (): ConsensusCore { return this.#core }
  get chunkPoolSize (): number { return this.#pool.size }

  start (): void {
    if (this.#running) return
    this.#running = true
    const { transport } = this.deps
    transport.onMessage((from, bytes) => this.#onMessage(from, bytes))
    transport.onChunk((from, bytes) => this.#onChunk(from, bytes))
    transport.handle(Protocols.chunks, async (_from, bytes) => this.#serveChunks(bytes))
    transport.handle(Protocols.blocks, async (_from, bytes) => this.#serveBlocks(bytes))
    transport.handle(Protocols.sync, async (_from, bytes) => this.#serveSync(bytes))
    this.#roundStartedAt = performance.now()
    this.#enqueue(async () => {
      await this.#reloadPending()
      await this.#step({ type: 'start' })
      this.#packer.start()
    })
    if (this.deps.committeeKeys.length > 1) this.#scheduleSync(0)
  }

  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    await this.#packer.stop()
    if (this.#timer !== null) clearTimeout(this.#timer)
    if (this.#syncTimer !== null) clearTimeout(this.#syncTimer)
    await this.#queue
  }

  // ---- the serial queue ----

  #enqueue (task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(async () => {
      if (!this.#running) return
      try {
        await task()
      } catch (err) {
        this.deps.logger.error({ err }, 'consensus task failed')
      }
    })
    this.#queue = run
    return run
  }

  async #step (event: CoreEvent): Promise<void> {
    const actions = this.#core.step(event)
    await this.#execute(actions)
    await this.#refreshWork()
  }

  async #refreshWork (): Promise<void> {
    const chain = this.#core.certifiedChain()
    const excluded = new Set<string>()
    for (const block of chain ?? []) for (const hex of this.#payloads.get(bytesToHex(block.hash))?.chunkDigestHexes ?? []) excluded.add(hex)
    const pending = this.#pool.hasPending(excluded)
    if (pending !== this.#pendingWork) {
      this.#pendingWork = pending
      await this.#execute(this.#core.step({ type: 'work', pending }))
    }
  }

  async #execute (actions: CoreAction[]): Promise<void> {
    // One synced write per step: the last safety state of the step dominates the earlier
    // ones (its rounds only grew), so writing it before the first send covers every send.
    const lastPersist = actions.findLast((a) => a.type === 'persist')
    let persisted = lastPersist === undefined
    for (const action of actions) {
      if (!persisted && (action.type === 'send' || action.type === 'broadcast')) {
        await this.deps.store.putSafetyState(encode(SafetyStateSchema, { version: 1, ...(lastPersist as Extract<CoreAction, { type: 'persist' }>).safety }))
        persisted = true
      }
      switch (action.type) {
        case 'persist':
          break
        case 'send':
          if (action.message.kind === 'vote') this.deps.metrics?.votesSent.inc({})
          this.deps.transport.send(action.to, encodeMessage(action.message))
          break
        case 'broadcast':
          if (action.message.kind === 'proposal') this.deps.metrics?.proposals.inc({})
          this.deps.transport.broadcast(encodeMessage(action.message))
          break
        case 'setTimer':
          this.#setTimer(action.round, action.delayMs)
          break
        case 'buildProposal':
          // Its own task, after this step's work refresh: no recursion through rounds.
          void this.#enqueue(() => this.#buildProposal(action))
          break
        case 'commit':
          await this.#commit(action.blocks)
          break
        case 'fetch':
          this.#fetchBlock(action.hash, action.from)
          break
        case 'enterRound': {
          const now = performance.now()
          this.deps.metrics?.roundDuration.observe((now - this.#roundStartedAt) / 1000)
          this.deps.metrics?.round.set(action.round)
          this.deps.metrics?.roundsEntered.inc({ via: action.via })
          this.#roundStartedAt = now
          break
        }
        case 'reject':
          this.#refused(action.from, action.kind, action.reason)
          this.deps.logger.debug({ from: action.from, kind: action.kind, reason: action.reason }, 'consensus message refused')
          break
      }
    }
    if (!persisted) await this.deps.store.putSafetyState(encode(SafetyStateSchema, { version: 1, ...(lastPersist as Extract<CoreAction, { type: 'persist' }>).safety }))
  }

  #setTimer (round: number, delayMs: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#enqueue(() => this.#step({ type: 'timer', round }))
    }, delayMs)
  }

  // ---- inbound ----

  #onMessage (from: number, bytes: Uint8Array): void {
    let message: ConsensusMessage
    try {
      message = decodeMessage(bytes)
    } catch (err) {
      this.#refused(from, 'envelope', 'malformed')
      this.deps.logger.debug({ from, err: (err as Error).message }, 'malformed consensus message')
      return
    }
    switch (message.kind) {
      case 'proposal': void this.#onProposal(from, message.proposal); break
      case 'vote': void this.#enqueue(() => this.#step({ type: 'vote', from, vote: message.vote })); break
      case 'timeout': void this.#enqueue(() => this.#step({ type: 'timeout', from, timeout: message.timeout })); break
      case 'certificate': void this.#enqueue(() => this.#step({ type: 'certificate', from, certificate: message.certificate })); break
    }
  }

  /** A message of member `from` refused: counted, and reported so the network can score the sender. */
  #refused (from: number, kind: string, reason: string): void {
    this.deps.metrics?.rejected.inc({ kind, reason })
    this.deps.onReject?.(from, kind, reason)
  }

  #onChunk (from: number, bytes: Uint8Array): 'accept' | 'ignore' | 'reject' {
    const check = checkChunk(this.#rules, bytes, this.deps.limits.maxBatchBytes)
    if (!check.ok) {
      this.deps.metrics?.chunksReceived.inc({ verdict: check.verdict })
      this.deps.logger.debug({ from, reason: check.reason }, 'chunk refused')
      return check.verdict
    }
    const added = this.#addChunk(check.chunk, check.digest, check.hashes, bytes.length)
    this.deps.metrics?.chunksReceived.inc({ verdict: added ? 'accept' : 'ignore' })
    if (added) void this.#enqueue(() => this.#refreshWork())
    return added ? 'accept' : 'ignore'
  }

  #addChunk (chunk: Chunk, digest: Uint8Array, hashes: Uint8Array[], size: number): boolean {
    if (!this.#pool.add(chunk, digest, size)) return false
    this.#chunkHashes.set(bytesToHex(digest), hashes)
    return true
  }

  async #onPacked (packed: PackedChunk): Promise<void> {
    const hex = bytesToHex(packed.digest)
    this.#ownChunks.set(hex, packed.entries)
    this.#addChunk(packed.chunk, packed.digest, packed.entries.map((e) => e.hash), packed.bytes.length)
    void this.#enqueue(() => this.#refreshWork())
    await this.deps.transport.publishChunk(packed.bytes, packed.digest)
  }

  async #onProposal (from: number, proposal: Proposal): Promise<void> {
    const { header } = proposal
    // [REJECT] cheap checks before fetching anything for it
    if (from !== header.round % this.deps.committeeKeys.length || header.proposer !== from) {
      this.#refused(from, 'proposal', 'not from the leader')
      return
    }
    // [IGNORE] a timestamp too far ahead of our clock
    if (header.timestamp > this.#now() + this.options.maxClockDriftMs) {
      this.deps.metrics?.rejected.inc({ kind: 'proposal', reason: 'timestamp in the future' })
      return
    }
    await this.#ensureChunks(from, header.chunkDigests)
    await this.#enqueue(() => this.#acceptProposal(from, proposal))
  }

  async #acceptProposal (from: number, proposal: Proposal): Promise<void> {
    const { header } = proposal
    const hash = batchHash(header)
    const hex = bytesToHex(hash)
    if (!this.#payloads.has(hex)) {
      if (!this.#knowsParent(header.parentHash)) {
        const key = bytesToHex(header.parentHash)
        const list = this.#waitingForParent.get(key) ?? []
        if (list.length < 4 && this.#waitingForParent.size < MAX_BUFFERED) list.push({ from, proposal })
        this.#waitingForParent.set(key, list)
        this.#fetchBlock(header.parentHash, from)
        return
      }
      const payload = await this.#checkPayload(header)
      if (typeof payload === 'string') {
        this.#refused(from, 'proposal', `payload: ${payload}`)
        this.deps.logger.warn({ from, round: header.round, reason: payload }, 'proposal payload refused')
        return
      }
      this.#payloads.set(hex, payload)
      await this.#rememberPending(hash, header, proposal.justify, payload)
      this.#markOwnProposed(payload, header.height)
    }
    await this.#step({ type: 'proposal', from, proposal })
    await this.#retryWaiting(hash)
  }

  #knowsParent (parentHash: Uint8Array): boolean {
    return equalBytes(parentHash, this.#core.tip.hash) || this.#core.block(parentHash) !== undefined
  }

  async #retryWaiting (hash: Uint8Array): Promise<void> {
    const key = bytesToHex(hash)
    const waiting = this.#waitingForParent.get(key)
    if (waiting === undefined) return
    this.#waitingForParent.delete(key)
    for (const w of waiting) await this.#acceptProposal(w.from, w.proposal)
  }

  #markOwnProposed (payload: BlockPayload, height: number): void {
    for (const hex of payload.chunkDigestHexes) {
      const entries = this.#ownChunks.get(hex)
      if (entries !== undefined) this.deps.mempool.markProposed(entries.map((e) => e.hashHex), height)
    }
  }

  /** Fetches from `from` the chunks of a proposal that are not in the pool. */
  async #ensureChunks (from: number, digests: Uint8Array[]): Promise<void> {
    const missing = digests.filter((d) => !this.#pool.has(bytesToHex(d)))
    if (missing.length === 0 || from === this.deps.self) return
    this.deps.metrics?.chunkFetches.inc({ result: 'requested' })
    try {
      const reply = await this.deps.transport.request(from, Protocols.chunks, encode(ChunkRequestSchema, { version: 1, digests: missing }), this.options.requestTimeoutMs)
      const { chunks } = decode(ChunkResponseSchema, reply)
      for (const chunk of chunks) this.#acceptFetchedChunk(chunk)
      this.deps.metrics?.chunkFetches.inc({ result: 'ok' })
    } catch (err) {
      this.deps.metrics?.chunkFetches.inc({ result: 'failed' })
      this.deps.logger.debug({ from, err: (err as Error).message }, 'chunk fetch failed')
    }
  }

  #acceptFetchedChunk (chunk: Chunk): boolean {
    const bytes = encode(ChunkSchema, chunk)
    const check = checkChunk(this.#rules, bytes, Number.MAX_SAFE_INTEGER)
    return check.ok && this.#addChunk(check.chunk, check.digest, check.hashes, bytes.length)
  }

  /** The payload of a header from pooled chunks, or why it does not match. */
  async #checkPayload (header: BatchHeader): Promise<BlockPayload | string> {
    const chunks: Chunk[] = []
    const hexes: string[] = []
    for (const digest of header.chunkDigests) {
      const hex = bytesToHex(digest)
      const pooled = this.#pool.get(hex)
      if (pooled === undefined) return 'a chunk is missing'
      chunks.push(pooled.chunk)
      hexes.push(hex)
    }
    if (new Set(hexes).size !== hexes.length) return 'a chunk is listed twice'
    const payload = await this.#payloadFor(chunks, hexes, header.parentHash, header.timestamp)
    return headerMismatch(header, payload) ?? payload
  }

  async #payloadFor (chunks: Chunk[], hexes: string[], parentHash: Uint8Array, timestamp: number): Promise<BlockPayload> {
    const ancestors = this.#ancestorTxs(parentHash)
    const hashes = hexes.map((hex) => this.#chunkHashes.get(hex)!)
    const flat = hashes.flat()
    const locations = await this.deps.store.txLocations(flat)
    const final = new Set<string>()
    locations.forEach((loc, i) => { if (loc !== null) final.add(bytesToHex(flat[i]!)) })
    return computePayload(chunks, hexes, (i) => hashes[i]!, timestamp, (hex) => final.has(hex) || ancestors.has(hex))
  }

  /** Tx hashes counted in the uncommitted ancestors from `hash` down to the committed tip. */
  #ancestorTxs (hash: Uint8Array): Set<string> {
    return this.#collectAncestors(hash, (p) => p.countedHexes)
  }

  /** Chunk digests of the uncommitted ancestors from `hash` down to the committed tip. */
  #ancestorChunks (hash: Uint8Array): Set<string> {
    return this.#collectAncestors(hash, (p) => p.chunkDigestHexes)
  }

  #collectAncestors (hash: Uint8Array, pick: (payload: BlockPayload) => Iterable<string>): Set<string> {
    const out = new Set<string>()
    let cursor = hash
    while (!equalBytes(cursor, this.#core.tip.hash)) {
      const block = this.#core.block(cursor)
      if (block === undefined) break
      const payload = this.#payloads.get(bytesToHex(cursor))
      if (payload !== undefined) for (const hex of pick(payload)) out.add(hex)
      cursor = block.header.parentHash
    }
    return out
  }

  // ---- leader ----

  async #buildProposal (action: Extract<CoreAction, { type: 'buildProposal' }>): Promise<void> {
    await this.#refreshWork()
    if (this.#core.round !== action.round || !this.#core.isActive()) {
      await this.#execute(this.#core.step({ type: 'proposalDeclined', round: action.round }))
      return
    }
    const { limits } = this.deps
    const excluded = this.#ancestorChunks(action.parent.hash)
    const picked = this.#pool.select(excluded, { maxTxs: limits.maxBatchTxs, maxBytes: limits.maxBatchBytes, maxChunks: 4096 })
    const timestamp = Math.max(this.#now(), action.parent.timestamp)
    const hexes = picked.map((p) => p.digestHex)
    const payload = await this.#payloadFor(picked.map((p) => p.chunk), hexes, action.parent.hash, timestamp)
    const header: BatchHeader = {
      version: 1,
      chainId: this.deps.chainId,
      height: action.parent.height + 1,
      round: action.round,
      parentHash: action.parent.hash,
      proposer: this.deps.self,
      timestamp,
      payloadRoot: payload.payloadRoot,
      namespaces: payload.namespaces,
      chunkDigests: picked.map((p) => p.digest),
      txCount: payload.counted.length
    }
    const hash = batchHash(header)
    this.#payloads.set(bytesToHex(hash), payload)
    await this.#rememberPending(hash, header, action.justify, payload)
    this.#markOwnProposed(payload, header.height)
    await this.#step({ type: 'proposalBuilt', round: action.round, header })
  }

  // ---- commit ----

  async #commit (blocks: Array<{ block: CoreBlock, proof: CommitProof }>): Promise<void> {
    for (const { block, proof } of blocks) {
      const hex = bytesToHex(block.hash)
      const payload = this.#payloads.get(hex)
      if (payload === undefined) throw new Error(`committing block ${block.header.height} whose payload is unknown`)
      await this.#applyFinal(block.header, block.hash, payload, proof)
      this.#payloads.delete(hex)
    }
    // Payloads of blocks that can no longer be final (at or below the tip, not committed) go.
    const dropped: Uint8Array[] = []
    for (const hex of [...this.#payloads.keys()]) {
      if (this.#core.block(hexToHash(hex)) !== undefined) continue
      this.#payloads.delete(hex)
      dropped.push(hexToHash(hex))
    }
    await this.deps.store.deletePendingBlocks(dropped)
  }

  async #rememberPending (hash: Uint8Array, header: BatchHeader, justify: Certificate, payload: BlockPayload): Promise<void> {
    await this.deps.store.putPendingBlock(hash, encode(BlockBundleSchema, { version: 1, header, justify, chunks: payload.chunks }))
  }

  /** After a restart: the accepted, not yet final blocks go back into the core. */
  async #reloadPending (): Promise<void> {
    const stored = await this.deps.store.pendingBlocks()
    const bundles: BlockBundle[] = []
    for (const { bytes } of stored) {
      try {
        bundles.push(decode(BlockBundleSchema, bytes))
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message }, 'a stored pending block does not decode; skipped')
      }
    }
    const tip = this.#core.tip.height
    const live = bundles.filter((b) => b.header.height > tip)
    await this.deps.store.deletePendingBlocks(stored.filter((_s, i) => (bundles[i]?.header.height ?? 0) <= tip).map((s) => s.hash))
    if (live.length > 0) await this.#acceptBlocks(live)
    // Own chunks of those blocks hold txs the mempool re-admitted from its WAL: claim them.
    for (const bundle of live) {
      for (const chunk of bundle.chunks) {
        if (chunk.origin !== this.deps.self) continue
        const check = checkChunk(this.#rules, encode(ChunkSchema, chunk), Number.MAX_SAFE_INTEGER)
        if (!check.ok) continue
        const entries = this.deps.mempool.claim(check.hashes.map(bytesToHex))
        if (entries.length > 0) this.#ownChunks.set(bytesToHex(check.digest), entries)
      }
    }
  }

  async #applyFinal (header: BatchHeader, hash: Uint8Array, payload: BlockPayload, proof: CommitProof): Promise<void> {
    const { store, mempool } = this.deps
    await store.putFinalBatch({
      height: header.height,
      hash,
      batchBytes: encode(BatchSchema, { version: 1, header, chunks: payload.chunks }),
      commitProofBytes: encode(CommitProofSchema, proof),
      txHashes: payload.counted.map((c) => c.hash),
      rollupCounts: header.namespaces
    })
    // Final here or earlier: every tx of the chunks that is not expired.
    const expired: string[] = []
    const done: string[] = []
    const all = payload.chunks.flatMap((c) => c.txs)
    payload.allHexes.forEach((hex, i) => {
      if (payload.countedHexes.has(hex) || all[i]!.expiry > header.timestamp) done.push(hex)
      else expired.push(hex)
    })
    const finalEntries = mempool.finalizeHashes(done)
    await mempool.rejectExpired(expired)
    let own = 0
    for (const digestHex of payload.chunkDigestHexes) {
      if (this.#ownChunks.delete(digestHex)) own++
      this.#chunkHashes.delete(digestHex)
    }
    this.#pool.remove(payload.chunkDigestHexes)
    if (own > 0) this.#packer.ownChunksFinal(own)
    this.deps.onFinal({ height: header.height, hash, header, payload, proof, finalEntries })
  }

  // ---- fetching blocks ----

  #fetchBlock (hash: Uint8Array, from: number): void {
    const key = bytesToHex(hash)
    if (this.#fetching.has(key) || from === this.deps.self) return
    this.#fetching.add(key)
    const request = encode(BlockRequestSchema, { version: 1, hash, aboveHeight: this.#core.tip.height + 1 })
    void this.deps.transport.request(from, Protocols.blocks, request, this.options.requestTimeoutMs)
      .then((reply) => this.#enqueue(() => this.#acceptBlocks(decode(BlockResponseSchema, reply).blocks)))
      .catch((err: Error) => {
        this.deps.logger.debug({ from, err: err.message }, 'block fetch failed')
        this.#scheduleSync(0)
      })
      .finally(() => this.#fetching.delete(key))
  }

  async #acceptBlocks (bundles: BlockBundle[]): Promise<void> {
    const accepted: CoreBlock[] = []
    for (const bundle of [...bundles].sort((a, b) => a.header.height - b.header.height)) {
      const hash = batchHash(bundle.header)
      const hex = bytesToHex(hash)
      if (!this.#payloads.has(hex)) {
        if (!this.#knowsParent(bundle.header.parentHash) && !accepted.some((b) => equalBytes(b.hash, bundle.header.parentHash))) continue
        for (const chunk of bundle.chunks) this.#acceptFetchedChunk(chunk)
        // The ancestors must be in the core for the dedup walk: insert block by block.
        const payload = await this.#checkPayload(bundle.header)
        if (typeof payload === 'string') {
          this.deps.logger.warn({ height: bundle.header.height, reason: payload }, 'fetched block refused')
          break
        }
        this.#payloads.set(hex, payload)
        await this.#rememberPending(hash, bundle.header, bundle.justify, payload)
      }
      const block = { hash, header: bundle.header, justify: bundle.justify }
      accepted.push(block)
      await this.#step({ type: 'blocks', blocks: [block] })
      await this.#retryWaiting(hash)
    }
  }

  // ---- serving peers ----

  async #serveChunks (bytes: Uint8Array): Promise<Uint8Array> {
    const { digests } = decode(ChunkRequestSchema, bytes)
    const chunks = digests.map((d) => this.#pool.get(bytesToHex(d))?.chunk).filter((c): c is Chunk => c !== undefined)
    return encode(ChunkResponseSchema, { version: 1, chunks })
  }

  async #serveBlocks (bytes: Uint8Array): Promise<Uint8Array> {
    const request = decode(BlockRequestSchema, bytes)
    const blocks: BlockBundle[] = []
    let cursor = request.hash
    while (blocks.length < 64) {
      const block = this.#core.block(cursor)
      const payload = this.#payloads.get(bytesToHex(cursor))
      if (block === undefined || payload === undefined || block.header.height < request.aboveHeight) break
      blocks.push({ version: 1, header: block.header, justify: block.justify, chunks: payload.chunks })
      cursor = block.header.parentHash
    }
    return encode(BlockResponseSchema, { version: 1, blocks })
  }

  async #serveSync (bytes: Uint8Array): Promise<Uint8Array> {
    const request = decode(SyncRequestSchema, bytes)
    const { store } = this.deps
    const nextHeight = (store.head()?.height ?? -1) + 1
    const items = []
    const count = Math.min(request.maxCount, this.options.syncBatchSize)
    for (let h = request.fromHeight; h < nextHeight && items.length < count; h++) {
      const [batch, finality] = await Promise.all([store.getBatch(h), store.getCommitProof(h)])
      if (batch === null || finality === null) break
      items.push({ batch, finality })
    }
    return encode(SyncResponseSchema, { version: 1, nextHeight, items })
  }

  // ---- catch-up ----

  #scheduleSync (delayMs: number): void {
    if (!this.#running || this.deps.committeeKeys.length === 1) return
    if (this.#syncTimer !== null) clearTimeout(this.#syncTimer)
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = null
      void this.#syncOnce().finally(() => this.#scheduleSync(this.options.syncIntervalMs))
    }, delayMs)
  }

  /** Asks a peer how far it is; if it is ahead by more than the pipeline, fetches and applies final batches. */
  async #syncOnce (): Promise<void> {
    if (this.#syncing) return
    this.#syncing = true
    try {
      const peers = this.deps.transport.connectedMembers().filter((m) => m !== this.deps.self)
      if (peers.length === 0) return
      const peer = peers[Math.floor(Math.random() * peers.length)]!
      for (let rounds = 0; rounds < 64 && this.#running; rounds++) {
        const from = (this.deps.store.head()?.height ?? -1) + 1
        const probe = decode(SyncResponseSchema, await this.deps.transport.request(peer, Protocols.sync, encode(SyncRequestSchema, { version: 1, fromHeight: from, maxCount: 0 }), this.options.requestTimeoutMs))
        // Within the pipeline consensus delivers the missing heights, unless nothing moved
        // since the last probe: peers serve only uncommitted blocks, so a gap of two final
        // heights on an idle chain can only be closed here.
        if (probe.nextHeight <= from + 2 && !(probe.nextHeight > from && this.#lackedAtLastProbe === from)) {
          this.#lackedAtLastProbe = probe.nextHeight > from ? from : -1
          return
        }
        this.#lackedAtLastProbe = -1
        const reply = decode(SyncResponseSchema, await this.deps.transport.request(peer, Protocols.sync, encode(SyncRequestSchema, { version: 1, fromHeight: from, maxCount: this.options.syncBatchSize }), this.options.requestTimeoutMs * 4))
        if (reply.items.length === 0) return
        let applied = 0
        await this.#enqueue(async () => { applied = await this.#applySynced(reply.items) })
        if (applied === 0) return
      }
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message }, 'sync attempt failed')
    } finally {
      this.#syncing = false
    }
  }

  /** Verifies and stores catch-up batches in order; returns how many were applied. */
  async #applySynced (items: Array<{ batch: { header: BatchHeader, chunks: Chunk[] }, finality: CommitProof }>): Promise<number> {
    let applied = 0
    for (const { batch, finality } of items) {
      const head = this.deps.store.head()
      const expected = (head?.height ?? -1) + 1
      const { header } = batch
      if (header.height < expected) continue
      if (header.height > expected || !equalBytes(header.parentHash, head?.hash ?? new Uint8Array(32))) break
      const hash = batchHash(header)
      const proof = verifyCommitProof({ chainId: this.deps.chainId, committeeKeys: this.deps.committeeKeys }, header, hash, finality, { batchHash, verifySignature: verifyEd25519 })
      if (!proof.ok) {
        this.deps.logger.warn({ height: header.height, reason: proof.reason }, 'catch-up batch refused')
        break
      }
      const hexes: string[] = []
      let chunksOk = true
      for (const chunk of batch.chunks) {
        const check = checkChunk(this.#rules, encode(ChunkSchema, chunk), Number.MAX_SAFE_INTEGER)
        if (!check.ok) { chunksOk = false; break }
        const hex = bytesToHex(check.digest)
        this.#chunkHashes.set(hex, check.hashes)
        hexes.push(hex)
      }
      if (!chunksOk || hexes.some((h, i) => h !== bytesToHex(header.chunkDigests[i] ?? new Uint8Array(0))) || hexes.length !== header.chunkDigests.length) {
        this.deps.logger.warn({ height: header.height }, 'catch-up batch chunks do not match the header')
        break
      }
      const payload = await this.#payloadFor(batch.chunks, hexes, header.parentHash, header.timestamp)
      const mismatch = headerMismatch(header, payload)
      if (mismatch !== null) {
        this.deps.logger.warn({ height: header.height, reason: mismatch }, 'catch-up batch payload does not match')
        break
      }
      await this.#applyFinal(header, hash, payload, finality)
      this.deps.metrics?.syncedBatches.inc({})
      applied++
    }
    if (applied > 0) {
      const head = this.deps.store.head()!
      const batch = await this.deps.store.getBatch(head.height)
      await this.#step({ type: 'synced', tip: { hash: head.hash, height: head.height, round: batch!.header.round, timestamp: batch!.header.timestamp } })
    }
    return applied
  }
}

function hexToHash (hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

export function encodeMessage (message: ConsensusMessage): Uint8Array {
  switch (message.kind) {
    case 'proposal': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.proposal, body: encode(ProposalSchema, message.proposal) })
    case 'vote': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.vote, body: encode(VoteSchema, message.vote) })
    case 'timeout': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.timeout, body: encode(TimeoutSchema, message.timeout) })
    case 'certificate': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.certificate, body: encode(CertificateSchema, message.certificate) })
  }
}

export function decodeMessage (bytes: Uint8Array): ConsensusMessage {
  const envelope = decode(ConsensusEnvelopeSchema, bytes)
  switch (envelope.kind) {
    case ConsensusKind.proposal: return { kind: 'proposal', proposal: decode(ProposalSchema, envelope.body) }
    case ConsensusKind.vote: return { kind: 'vote', vote: decode(VoteSchema, envelope.body) }
    case ConsensusKind.timeout: return { kind: 'timeout', timeout: decode(TimeoutSchema, envelope.body) }
    case ConsensusKind.certificate: return { kind: 'certificate', certificate: decode(CertificateSchema, envelope.body) }
    // a typed refusal like every other decode failure (found by the fuzzer: was a plain Error)
    default: throw new CodecError(CodecErrorCode.WRONG_SHAPE, `unknown consensus message kind ${envelope.kind}`)
  }
}

/** Room for a chunk's own fields and signature, and each tx's length prefix, within its encoded size. */
const CHUNK_OVERHEAD_BYTES = 512
const TX_PREFIX_BYTES = 5

/**
 * The packer's limits, cut so that every chunk fits in an empty batch: the pool never
 * proposes a chunk over the batch limits, so a larger one would stall its lane for good
 * (seen with maxBatchTxs 500 and a WAL backlog packed into 2000-tx chunks).
 */
function packerWithinBatchLimits (packer: ChunkPackerOptions, limits: ConsensusDriverDeps['limits']): ChunkPackerOptions {
  const maxChunkTxs = Math.min(packer.maxChunkTxs, limits.maxBatchTxs)
  const roomForTxs = limits.maxBatchBytes - CHUNK_OVERHEAD_BYTES - TX_PREFIX_BYTES * maxChunkTxs
  return { ...packer, maxChunkTxs, maxChunkBytes: Math.max(limits.maxTxBytes, Math.min(packer.maxChunkBytes, roomForTxs)) }
}
