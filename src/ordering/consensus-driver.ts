/**
 * Runs the consensus core for one member: feeds it network messages, timers and work,
 * and carries out its actions (persist the safety state with sync: true before anything
 * leaves, send, time, build proposals, commit, fetch). Everything that touches the core
 * goes through one serial queue, so the core sees one event at a time.
 *
 * The parts around the core: payload-book.ts (chunk pool and block payloads),
 * block-fetch.ts (fetch and serve chunks and blocks), block-sync.ts (catch-up),
 * finaliser.ts (final batches, pending blocks), proposer.ts (the leader's header),
 * proposal-validation.ts (the rules, applied on receipt before anything is fetched or
 * stored) and envelope-codec.ts.
 */
import { SafetyStateSchema, decode, encode, type BlockBundle, type Proposal } from '../codec/index.js'
import { bytesToHex, equalBytes, verifyEd25519 } from '../crypto/index.js'
import { batchHash } from '../batch/index.js'
import { BlockFetch } from './block-fetch.js'
import { checkChunk, type ChunkRules } from './block-payload.js'
import { BlockSync, storedTip } from './block-sync.js'
import { ChunkPacker, type ChunkPackerOptions, type PackedChunk } from './chunk-packer.js'
import { CommitteeClock } from './committee-clock.js'
import { ConsensusCore, type CoreAction, type CoreBlock, type CoreEvent, type ConsensusMessage, type CoreRestored } from './consensus-core.js'
import { defaultConsensusDriverOptions, type ConsensusDriverDeps, type ConsensusDriverOptions } from './driver-options.js'
import { decodeMessage, encodeMessage } from './envelope-codec.js'
import { Finaliser } from './finaliser.js'
import { defaultLeaderElectionOptions, historyRounds, type CommittedLeader } from './leader-election.js'
import { OwnChunkResender } from './own-chunk-resender.js'
import { PayloadBook } from './payload-book.js'
import { checkProposalClock } from './proposal-validation.js'
import { buildHeader, proposalFilled, proposalHoldMs, type PacingView } from './proposer.js'
import { ConsensusRejectCode, type ConsensusMessageKind, type ConsensusRejectCode as RejectCode } from './reject-codes.js'

export class ConsensusDriver {
  readonly #core: ConsensusCore
  readonly #payloads: PayloadBook
  readonly #packer: ChunkPacker
  readonly #finaliser: Finaliser
  readonly #fetch: BlockFetch
  readonly #sync: BlockSync
  readonly #resender: OwnChunkResender
  #resendTimer: NodeJS.Timeout | null = null
  #queue: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | null = null
  #pendingWork = false
  #roundStartedAt = 0
  #running = false
  #firstSafetyWrite = true
  /** a proposal held for more data (proposer.ts pacing): built when its timer fires or the pool fills */
  #held: { action: BuildAction, timer: NodeJS.Timeout } | null = null
  /** when the proposal of the current round reached us (performance.now()), to time its round trip */
  #proposalSeen: { round: number, at: number } | null = null
  #roundTripMs: number | null = null
  #proposalsHeld = 0
  /** the committee's time (committee-clock.ts): the clock rule, our own proposals' timestamps and the packer's expiry */
  readonly #clock: CommitteeClock

  constructor (private readonly deps: ConsensusDriverDeps, restored: CoreRestored, private readonly options: ConsensusDriverOptions = defaultConsensusDriverOptions) {
    this.#clock = deps.clock ?? new CommitteeClock(deps.committeeKeys.length, deps.self, deps.now ?? Date.now, { maxOffsetMs: options.maxClockOffsetMs })
    this.#core = new ConsensusCore({
      chainId: deps.chainId,
      committeeKeys: deps.committeeKeys,
      self: deps.self,
      baseTimeoutMs: options.baseTimeoutMs,
      maxTimeoutMs: options.maxTimeoutMs,
      now: () => performance.now()
    }, { sign: (m) => deps.signer.sign(m), verify: verifyEd25519, batchHash }, restored)
    const rules: ChunkRules = {
      chainId: deps.chainId,
      committeeKeys: deps.committeeKeys,
      rollupIds: new Set(deps.rollupIds),
      maxActionsPerTx: deps.limits.maxActionsPerTx,
      maxPayloadBytes: deps.limits.maxPayloadBytes,
      // a chunk larger than a whole batch could never be proposed and would block its lane
      maxTxsPerChunk: Math.min(options.packer.maxChunkTxs * 4, deps.limits.maxBatchTxs)
    }
    const core = (): ConsensusCore => this.#core
    this.#payloads = new PayloadBook(rules, deps.store, core)
    this.#resender = new OwnChunkResender(options.resend)
    this.#packer = new ChunkPacker({
      chainId: deps.chainId,
      self: deps.self,
      signer: deps.signer,
      mempool: deps.mempool,
      now: () => this.#clock.now(),
      onPacked: (packed) => this.#onPacked(packed),
      onError: (err) => deps.logger.error({ err }, 'packing a chunk failed')
    }, packerWithinBatchLimits(options.packer, deps.limits))
    this.#finaliser = new Finaliser({
      self: deps.self,
      store: deps.store,
      mempool: deps.mempool,
      payloads: this.#payloads,
      logger: deps.logger,
      onFinal: (event) => {
        this.#resender.forget(event.payload.chunkDigestHexes, performance.now())
        deps.onFinal(event)
      },
      onOwnChunksFinal: (count) => this.#packer.ownChunksFinal(count)
    })
    const enqueue = (task: () => Promise<void>): Promise<void> => this.#enqueue(task)
    this.#sync = new BlockSync({
      ...deps,
      payloads: this.#payloads,
      finaliser: this.#finaliser,
      enqueue,
      onSynced: async (tip) => await this.#step({ type: 'synced', tip, headers: await recentHeaders(deps.store, tip.height, deps.committeeKeys.length) })
    }, options)
    this.#fetch = new BlockFetch({
      ...deps,
      payloads: this.#payloads,
      core,
      onBlocks: async (bundles) => await this.#enqueue(() => this.#acceptBlocks(bundles)),
      onFetchFailed: () => this.#sync.schedule(0)
    }, options)
  }

  /** Restores the core from the store and starts ordering. */
  static async restore (deps: ConsensusDriverDeps, options: ConsensusDriverOptions = defaultConsensusDriverOptions): Promise<ConsensusDriver> {
    const raw = await deps.store.getSafetyState()
    const safety = raw === null ? null : decode(SafetyStateSchema, raw)
    const tip = await storedTip(deps.store)
    const recent = tip === null ? [] : await recentHeaders(deps.store, tip.height, deps.committeeKeys.length)
    return new ConsensusDriver(deps, { safety, tip, recent, signedBefore: deps.signedBefore === true }, options)
  }

  get core (): ConsensusCore { return this.#core }
  get chunkPoolSize (): number { return this.#payloads.pool.size }
  /** Proposals this member held for more data (pacing; tests wait on it). */
  get proposalsHeld (): number { return this.#proposalsHeld }

  start (): void {
    if (this.#running) return
    this.#running = true
    const { transport } = this.deps
    transport.onMessage((from, bytes) => this.#onMessage(from, bytes))
    transport.onChunk((from, bytes) => this.#onChunk(from, bytes))
    this.#fetch.serve()
    this.#roundStartedAt = performance.now()
    this.#enqueue(async () => {
      const live = await this.#finaliser.reloadPending(this.#core.tip.height)
      if (live.length > 0) await this.#acceptBlocks(live)
      this.#finaliser.claimOwnChunks(live)
      await this.#step({ type: 'start' })
      this.#packer.start()
    })
    this.#sync.start()
    this.#resendTimer = setInterval(() => this.#resendDue(), Math.max(50, this.options.resend.firstResendMs / 2))
    this.#resendTimer.unref()
  }

  /** Own chunks that no proposal took are sent again (own-chunk-resender.ts). */
  #resendDue (): void {
    this.#resender.resendDue(performance.now(), async ({ bytes, digest }) => {
      this.deps.metrics?.chunksResent.inc({})
      await this.deps.transport.publishChunk(bytes, digest)
    }).catch((err: Error) => this.deps.logger.warn({ err: err.message }, 'sending an own chunk again failed'))
  }

  async stop (): Promise<void> {
    if (!this.#running) return
    this.#running = false
    await this.#packer.stop()
    if (this.#resendTimer !== null) clearInterval(this.#resendTimer)
    if (this.#timer !== null) clearTimeout(this.#timer)
    if (this.#held !== null) clearTimeout(this.#held.timer)
    this.#held = null
    this.#sync.stop()
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
    for (const block of chain ?? []) for (const hex of this.#payloads.get(block.hash)?.chunkDigestHexes ?? []) excluded.add(hex)
    const pending = this.#payloads.pool.hasPending(excluded)
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
    const persist = async (): Promise<void> => {
      if (this.#firstSafetyWrite) {
        await this.deps.beforeFirstSafetyWrite?.()
        this.#firstSafetyWrite = false
      }
      await this.deps.store.putSafetyState(encode(SafetyStateSchema, { version: 1, ...(lastPersist as Extract<CoreAction, { type: 'persist' }>).safety }))
      persisted = true
    }
    // Commits wait until the vote (or proposal) has left: a final block changes nothing a
    // message of this step depends on, and its side effects (mempool, pool, listeners)
    // need not delay the round. They still run in this task, before the next event.
    const commits: Array<Extract<CoreAction, { type: 'commit' }>> = []
    for (const action of actions) {
      if (!persisted && (action.type === 'send' || action.type === 'broadcast')) await persist()
      switch (action.type) {
        case 'persist':
          break
        case 'send':
          if (action.message.kind === 'vote') this.deps.metrics?.votesSent.inc({})
          this.deps.transport.send(action.to, encodeMessage(action.message))
          break
        case 'broadcast':
          if (action.message.kind === 'proposal') this.deps.metrics?.proposals.inc({})
          if (action.message.kind === 'vote') this.deps.metrics?.votesSent.inc({})
          this.deps.transport.broadcast(encodeMessage(action.message))
          break
        case 'setTimer':
          this.deps.metrics?.roundTimeout.set(action.delayMs / 1000)
          this.#setTimer(action.round, action.delayMs)
          break
        case 'buildProposal':
          this.#proposalDue(action)
          break
        case 'commit':
          commits.push(action)
          break
        case 'fetch':
          this.#fetch.fetchBlock(action.hash, action.from)
          break
        case 'release':
          // Its parent is here now: the payload rules, then the core again (its own task).
          void this.#enqueue(() => this.#acceptProposal(action.from, action.proposal))
          break
        case 'enterRound': {
          const now = performance.now()
          this.deps.metrics?.roundDuration.observe((now - this.#roundStartedAt) / 1000)
          this.deps.metrics?.round.set(action.round)
          this.deps.metrics?.roundsEntered.inc({ via: action.via })
          this.#roundStartedAt = now
          this.deps.logger.debug({ round: action.round, leader: action.leader, via: action.via }, 'round entered')
          break
        }
        case 'reject':
          this.#refused(action.from, action.kind, action.code, action.detail)
          break
      }
    }
    if (!persisted) await persist()
    for (const commit of commits) await this.#finaliser.commit(commit.blocks)
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
      // [REJECT] the message decodes strictly
      this.#refused(from, 'envelope', ConsensusRejectCode.MALFORMED, (err as Error).message)
      return
    }
    switch (message.kind) {
      case 'proposal': void this.#onProposal(from, message.proposal); break
      case 'vote': void this.#enqueue(() => this.#step({ type: 'vote', from, vote: message.vote })); break
      case 'timeout': void this.#enqueue(() => this.#step({ type: 'timeout', from, timeout: message.timeout })); break
      case 'certificate': void this.#enqueue(() => this.#step({ type: 'certificate', from, certificate: message.certificate })); break
    }
  }

  /** A message of member `from` refused: counted, logged, and reported so the network can score the sender. */
  #refused (from: number, kind: ConsensusMessageKind, code: RejectCode, detail?: string): void {
    this.deps.metrics?.rejected.inc({ kind, code })
    this.deps.logger.debug({ from, kind, code, detail }, 'consensus message refused')
    this.deps.onReject?.(from, code)
  }

  #onChunk (from: number, bytes: Uint8Array): 'accept' | 'ignore' | 'reject' {
    const check = checkChunk(this.#payloads.rules, bytes, this.deps.limits.maxBatchBytes, (hex) => this.#payloads.pool.has(hex))
    if (!check.ok) {
      this.deps.metrics?.chunksReceived.inc({ verdict: check.verdict })
      this.deps.logger.debug({ from, code: check.code, detail: check.detail }, 'chunk refused')
      return check.verdict
    }
    const added = this.#payloads.addChunk(check.chunk, check.digest, check.txs, bytes.length)
    this.deps.metrics?.chunksReceived.inc({ verdict: added ? 'accept' : 'ignore' })
    if (added) {
      void this.#enqueue(() => this.#refreshWork())
      this.#releaseIfFilled()
    }
    return added ? 'accept' : 'ignore'
  }

  async #onPacked (packed: PackedChunk): Promise<void> {
    const digestHex = bytesToHex(packed.digest)
    this.#finaliser.trackOwnChunk(digestHex, packed.entries)
    this.#resender.track(digestHex, packed.digest, packed.bytes, performance.now())
    this.#payloads.addChunk(packed.chunk, packed.digest, packed.entries.map((e) => ({ tx: e.tx, hash: e.hash })), packed.bytes.length)
    void this.#enqueue(() => this.#refreshWork())
    this.#releaseIfFilled()
    await this.deps.transport.publishChunk(packed.bytes, packed.digest)
  }

  /** On receipt: the sender, chain, clock and signature rules before anything is fetched or stored for it. */
  async #onProposal (from: number, proposal: Proposal): Promise<void> {
    let screened = this.#core.screenProposal(from, proposal)
    if (!screened.ok && screened.code === ConsensusRejectCode.LEADER_UNKNOWN) {
      // Our committed chain may be behind the one that makes the sender the leader: its QC first, then again.
      await this.#enqueue(() => this.#step({ type: 'certificate', from, certificate: proposal.justify }))
      screened = this.#core.screenProposal(from, proposal)
    }
    if (!screened.ok) return this.#refused(from, 'proposal', screened.code)
    const { header } = proposal
    this.#clock.observe(from, header.timestamp, this.#core.block(header.parentHash)?.header.timestamp ?? this.#core.tip.timestamp)
    const early = checkProposalClock(header, this.#clock.now(), this.options.maxClockDriftMs)
    if (early !== null) return this.#refused(from, 'proposal', early)
    await this.#fetch.ensureChunks(from, header.chunkDigests)
    await this.#enqueue(() => this.#acceptProposal(from, proposal))
  }

  /**
   * The payload rules once the parent is known, then the core. A proposal whose parent is
   * unknown goes to the core as it is: the core keeps it (the one pending-parent buffer,
   * block-tree.ts), fetches the parent and releases it back here when the parent arrives.
   */
  async #acceptProposal (from: number, proposal: Proposal): Promise<void> {
    const { header } = proposal
    const hash = batchHash(header)
    if (this.#payloads.get(hash) === undefined && this.#core.knowsBlock(header.parentHash)) {
      const payload = this.#payloads.checkHeader(header)
      if (typeof payload === 'string') return this.#refused(from, 'proposal', payload)
      this.#payloads.set(hash, payload)
      this.#finaliser.rememberPending(hash, header, proposal.justify, payload)
      this.#finaliser.markOwnProposed(payload, header.height)
    }
    if (header.round >= (this.#proposalSeen?.round ?? 0) && header.round >= this.#core.round) this.#proposalSeen = { round: header.round, at: performance.now() }
    await this.#step({ type: 'proposal', from, proposal })
  }

  /** Fetched (or reloaded) blocks: payloads checked block by block, oldest first, then into the core. */
  async #acceptBlocks (bundles: BlockBundle[]): Promise<void> {
    const accepted: CoreBlock[] = []
    for (const bundle of [...bundles].sort((a, b) => a.header.height - b.header.height)) {
      const hash = batchHash(bundle.header)
      if (this.#payloads.get(hash) === undefined) {
        const parentHere = this.#core.knowsBlock(bundle.header.parentHash) || accepted.some((b) => equalBytes(b.hash, bundle.header.parentHash))
        if (!parentHere) continue
        for (const chunk of bundle.chunks) this.#payloads.acceptFetchedChunk(chunk)
        // The ancestors must be in the core for the dedup walk: insert block by block.
        const payload = this.#payloads.checkHeader(bundle.header)
        if (typeof payload === 'string') {
          this.deps.logger.warn({ height: bundle.header.height, code: payload }, 'fetched block refused')
          break
        }
        this.#payloads.set(hash, payload)
        this.#finaliser.rememberPending(hash, bundle.header, bundle.justify, payload)
      }
      const block = { hash, header: bundle.header, justify: bundle.justify }
      accepted.push(block)
      await this.#step({ type: 'blocks', blocks: [block] })
    }
  }

  // ---- leader ----

  /**
   * The core asks for a proposal: build it now, or hold it a little for more data (a
   * local choice, proposer.ts). Built in its own task, after this step's work refresh: no
   * recursion through rounds.
   */
  #proposalDue (action: BuildAction): void {
    this.#noteRoundTrip(action.round)
    if (this.#held !== null) clearTimeout(this.#held.timer)
    this.#held = null
    const holdMs = proposalHoldMs(this.#pacingView(action), this.options.pacing)
    if (holdMs <= 0) {
      void this.#enqueue(() => this.#buildProposal(action))
      return
    }
    this.#proposalsHeld++
    this.deps.metrics?.proposalsHeld.inc({})
    const timer = setTimeout(() => this.#releaseHeld(), holdMs)
    this.#held = { action, timer }
  }

  /** The round trip of the previous round's proposal here: from its arrival to the QC that asks us to propose. */
  #noteRoundTrip (round: number): void {
    const seen = this.#proposalSeen
    if (seen !== null && seen.round === round - 1) this.#roundTripMs = performance.now() - seen.at
  }

  #pacingView (action: BuildAction): PacingView {
    const excluded = this.#payloads.ancestorChunks(action.parent.hash)
    const load = this.#payloads.pool.pendingLoad(excluded)
    let inFlightTxs = 0
    for (const block of this.#core.certifiedChain() ?? []) inFlightTxs += block.header.txCount
    return { newTxs: load.txs + this.deps.mempool.waiting, newBytes: load.bytes, inFlightTxs, roundTripMs: this.#roundTripMs }
  }

  #releaseIfFilled (): void {
    if (this.#held !== null && proposalFilled(this.#pacingView(this.#held.action), this.options.pacing)) this.#releaseHeld()
  }

  #releaseHeld (): void {
    const held = this.#held
    if (held === null) return
    clearTimeout(held.timer)
    this.#held = null
    void this.#enqueue(() => this.#buildProposal(held.action))
  }

  async #buildProposal (action: BuildAction): Promise<void> {
    await this.#refreshWork()
    if (this.#core.round !== action.round || !this.#core.isActive()) {
      await this.#execute(this.#core.step({ type: 'proposalDeclined', round: action.round }))
      return
    }
    // Our own waiting txs ride in this proposal rather than the next (errors are the packer's).
    await this.#packer.packDue().catch((err: Error) => this.deps.logger.error({ err }, 'packing a chunk failed'))
    const { header, payload } = buildHeader(action, { ...this.deps, payloads: this.#payloads, now: this.#clock.now() })
    const hash = batchHash(header)
    this.#payloads.set(hash, payload)
    this.#finaliser.rememberPending(hash, header, action.justify, payload)
    this.#finaliser.markOwnProposed(payload, header.height)
    this.#proposalSeen = { round: action.round, at: performance.now() }
    await this.#step({ type: 'proposalBuilt', round: action.round, header })
  }
}

type BuildAction = Extract<CoreAction, { type: 'buildProposal' }>

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

/** The committed headers up to `height` that any leader choice from here on can look at (leader-election.ts), oldest first. */
async function recentHeaders (store: ConsensusDriverDeps['store'], height: number, n: number): Promise<CommittedLeader[]> {
  // each height has its own round, so this many heights cover at least as many rounds
  const count = historyRounds(defaultLeaderElectionOptions(n))
  const headers: CommittedLeader[] = []
  for (let h = Math.max(0, height - count + 1); h <= height; h++) {
    const batch = await store.getBatch(h)
    if (batch !== null) headers.push({ height: h, round: batch.header.round, proposer: batch.header.proposer })
  }
  return headers
}
