/**
 * Deterministic fault simulator for the BFT consensus core (src/ordering/consensus-core.ts).
 *
 * One seed fixes everything: a discrete-event scheduler over virtual milliseconds runs n
 * replicas, each the real `ConsensusCore` behind a small driver (this file) that maps its
 * actions to a simulated network, timers, durable safety state and a committed log. A
 * run has a fault phase (message delay, drop, duplication and reordering, partitions
 * that form and heal, crashes with restart from persisted state, Byzantine replicas) and
 * then a synchronous phase (bounded delays, no drops, everyone up) in which every tx
 * submitted to an honest replica must be committed at every honest replica before a
 * deadline, after which the chain must go quiet. Safety invariants (invariants.ts) are
 * checked after every step.
 *
 * The driver does what the node's driver does (src/ordering/consensus-driver.ts): one
 * timer per replica (a new setTimer replaces the pending one); safety state, committed
 * log, submitted txs (the mempool WAL) and received proposals (pending blocks) are
 * durable, everything else is lost in a crash; a replica answers block fetches from its
 * core, its pending blocks and its log, and polls a random peer for committed blocks
 * above its tip (catch-up sync, verified by their commit proofs). Tx ids stand for the
 * chunks a block references; replicas gossip them (and re-gossip their own until final).
 */
import { batchHash } from '../../src/batch/index.js'
import type { BatchHeader } from '../../src/codec/index.js'
import { bytesToHex, equalBytes } from '../../src/crypto/index.js'
import {
  ConsensusCore, ZERO_HASH,
  type CommittedTip, type ConsensusMessage, type CoreAction, type CoreBlock, type CoreConfig, type CoreEvent, type SafetyState
} from '../../src/ordering/consensus-core.js'
import { verifyCommitProof } from '../../src/ordering/commit-proof.js'
import { defaultLeaderElectionOptions, historyRounds } from '../../src/ordering/leader-election.js'
import { rejectPolicyOf } from '../../src/ordering/reject-codes.js'
import { tipOf } from '../../src/ordering/block-tree.js'
import { Byzantine, BYZANTINE_BEHAVIOURS, type ByzantineBehaviour, type ByzantineSpec, type Outgoing } from './byzantine.js'
import { EventQueue } from './event-queue.js'
import { InvariantChecker, SimFailure, describeSafety, type LogEntry } from './invariants.js'
import { Prng } from './prng.js'
import { makeCommittee, type SimCommittee } from './sim-crypto.js'
import { Trace } from './trace.js'

export interface FaultProfile {
  /** per message, in the fault phase */
  dropP: number
  dupP: number
  minDelayMs: number
  maxDelayMs: number
  /** a message is sometimes much later than the rest (reordering across rounds) */
  longDelayP: number
  longDelayMaxMs: number
  /** crash/restart cycles of honest replicas in the fault phase */
  crashes: number
  /** share of crashes that hit in the middle of a step's actions */
  midStepCrashP: number
  /** partitions that form and heal in the fault phase */
  partitions: number
}

export interface ScriptStep {
  at: number
  /** wipe: a crash that also loses the data folder (safety state, log, WAL, blocks) */
  action: 'crash' | 'wipe' | 'restart' | 'partition' | 'heal' | 'submit'
  who?: number
  /** partition: the sides (every replica in exactly one) */
  groups?: number[][]
  /** submit: how many txs */
  count?: number
}

export interface SimHooks {
  /** After a replica's step, with the actions it produced (already applied). */
  afterStep?: (sim: Simulation, node: number, event: CoreEvent, actions: readonly CoreAction[]) => void
}

export interface SimOptions {
  seed: number
  n?: number
  realCrypto?: boolean
  /** print every trace line through this function */
  liveTrace?: (line: string) => void
  /** length of the fault phase (virtual ms); default: drawn from the seed in 20-30 s */
  faultPhaseMs?: number
  /** how long after the fault phase every tx must be committed everywhere */
  syncDeadlineMs?: number
  /** run on after everything is committed, checking the chain goes quiet */
  quiesceMs?: number
  /** override the seed's choice of Byzantine replicas ([] for none) */
  byzantine?: ByzantineSpec[]
  faults?: Partial<FaultProfile>
  /** txs submitted at random times in the fault phase; default drawn from the seed */
  txCount?: number
  script?: ScriptStep[]
  hooks?: SimHooks
  maxTxsPerBlock?: number
  /**
   * Catch-up sync of the driver: every so often each replica asks a random peer for the
   * committed blocks (with their commit proofs) above its own tip. 0 turns it off, so
   * that a lagging replica catches up only through the core's block fetches.
   */
  syncPollMs?: number
  baseTimeoutMs?: number
  /** leader reputation's windows (default: the node's) */
  leaderElection?: CoreConfig['leaderElection']
  maxTimeoutMs?: number
  /** stop with a failure if a run needs more events than this (a message storm) */
  maxEvents?: number
  /**
   * Twins (Bano et al., "Twins: BFT Systems Made Robust", 2022): this member runs as two
   * instances of the honest code with one key, at addresses `twin` and n (the twin). Both
   * get what is sent to the member and both send as it; each counts as its one faulty member.
   */
  twin?: number
}

export interface SimStats {
  seed: number
  n: number
  realCrypto: boolean
  faultPhaseMs: number
  virtualMs: number
  events: number
  messages: number
  dropped: number
  duplicated: number
  partitions: number
  crashes: number
  midStepCrashes: number
  byzantine: Array<{ id: number, behaviours: ByzantineBehaviour[], counts: Record<string, number> }>
  txs: number
  /** heights committed (by the honest replica furthest ahead) */
  committedHeights: number
  blocksProposed: number
  emptyBlocksCommitted: number
  /** rounds an honest replica entered through a timeout certificate */
  tcRounds: number
  maxRound: number
  /** virtual time when every tx was committed everywhere (-1 when never) */
  allCommittedAt: number
  /** block fetches sent, and blocks received in answers */
  fetches: number
  fetchedBlocks: number
  /** committed blocks a replica took from a peer's log (catch-up sync) */
  syncedBlocks: number
  /**
   * Own timeouts honest replicas still sent more than maxTimeoutMs after every tx was
   * final everywhere: with nothing to order, every replica should have gone quiet.
   */
  lateTimeouts: number
  rejects: Record<string, number>
}

export interface SimResult {
  ok: boolean
  failure: { invariant: string, message: string } | null
  stats: SimStats
  traceTail: string[]
}

type NetPayload =
  | { kind: 'consensus', message: ConsensusMessage }
  | { kind: 'gossip', txs: string[] }
  | { kind: 'fetchReq', hash: Uint8Array }
  | { kind: 'fetchResp', hash: Uint8Array, blocks: CoreBlock[] }
  | { kind: 'syncReq', fromHeight: number }
  | { kind: 'syncResp', entries: Array<{ block: CoreBlock, proof: LogEntry['proof'] }> }

type SimEvent =
  | { kind: 'net', to: number, from: number, payload: NetPayload }
  | { kind: 'timer', to: number, round: number, incarnation: number, generation: number }
  | { kind: 'build', to: number, incarnation: number, action: Extract<CoreAction, { type: 'buildProposal' }> }
  | { kind: 'release', to: number, incarnation: number, action: Extract<CoreAction, { type: 'release' }> }
  | { kind: 'submit', to: number | null }
  | { kind: 'crash', who: number, midStep: boolean }
  | { kind: 'wipe', who: number }
  | { kind: 'hardCrash', who: number, incarnation: number }
  | { kind: 'restart', who: number }
  | { kind: 'partition', groups: number[][] }
  | { kind: 'heal' }
  | { kind: 'syncPhase' }
  | { kind: 'regossip' }
  | { kind: 'syncPoll' }
  | { kind: 'replay', who: number }

interface Durable {
  safety: SafetyState | null
  log: LogEntry[]
  byHash: Map<string, number>
  committedTxs: Set<string>
  /** txs clients submitted to this replica (the mempool WAL) */
  submitted: Set<string>
  /**
   * Proposed blocks above the committed tip, stored as they arrive (the block store of a
   * real node): after a restart they are handed back to the core, and peers fetch them.
   */
  blocks: Map<string, CoreBlock>
}

interface SimNode {
  id: number
  /** network address: the id, or n for the second instance of a twinned member */
  addr: number
  honest: boolean
  byz: Byzantine | null
  alive: boolean
  incarnation: number
  core: ConsensusCore | null
  durable: Durable
  /** uncommitted tx ids this replica knows (volatile except what `submitted` restores) */
  known: Set<string>
  lastWork: boolean | null
  fetchInflight: Map<string, number>
  /** crash after this many actions of the next step (of that kind, when given) */
  crashArmed: number | null
  crashOn: CoreEvent['type'] | null
  /** one timer per replica, as in the driver: a new setTimer replaces the pending one */
  timerGeneration: number
  /** its data folder was wiped: it restarted at round 1, as far behind as a member can be */
  wiped: boolean
}

const TIMESTAMP_BASE = 1_700_000_000_000
const FETCH_RETRY_MS = 250
const FETCH_ANCESTORS = 64
const REGOSSIP_MS = 1000
const SYNC_POLL_MS = 1500
const SYNC_BATCH = 64
const MAX_STORED_BLOCKS = 4096
const SYNC_MIN_DELAY_MS = 1
const SYNC_MAX_DELAY_MS = 20
/** blocks an idle chain may still propose after the last tx is final */
const MAX_BLOCKS_WHEN_IDLE = 3

export const defaultSimTiming = {
  baseTimeoutMs: 400, // above a few network round trips of the synchronous phase (20 ms each)
  maxTimeoutMs: 6400, // four doublings: long outages end in seconds, not minutes
  syncDeadlineMs: 60_000,
  quiesceMs: 10_000 // longer than maxTimeoutMs, so that replicas still timing out show
}

/** Fault profile drawn from the seed; options override single fields. */
function drawFaults (rng: Prng): FaultProfile {
  const calm = rng.chance(0.15)
  return {
    dropP: calm ? 0 : rng.pick([0, 0.01, 0.05, 0.1, 0.2, 0.3]),
    dupP: calm ? 0 : rng.pick([0, 0.02, 0.1]),
    minDelayMs: 1,
    maxDelayMs: rng.pick([5, 20, 50, 150]),
    longDelayP: calm ? 0 : rng.pick([0, 0.01, 0.05]),
    longDelayMaxMs: rng.pick([500, 2000, 5000]),
    crashes: calm ? 0 : rng.int(0, 4),
    midStepCrashP: 0.4,
    partitions: calm ? 0 : rng.int(0, 3)
  }
}

function drawByzantine (rng: Prng, n: number): ByzantineSpec[] {
  const f = Math.floor((n - 1) / 3)
  if (rng.chance(0.3)) return []
  const count = rng.int(1, f)
  const ids = rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, count)
  return ids.map((id) => {
    if (rng.chance(0.15)) return { id, behaviours: ['silent'] }
    const active = BYZANTINE_BEHAVIOURS.filter((b) => b !== 'silent')
    const behaviours = active.filter(() => rng.chance(0.4))
    if (behaviours.length === 0) behaviours.push(rng.pick(active))
    return { id, behaviours }
  })
}

export class Simulation {
  readonly seed: number
  readonly n: number
  readonly f: number
  readonly chainId = 'sim-chain'
  readonly committee: SimCommittee
  readonly faults: FaultProfile
  readonly faultPhaseMs: number
  readonly nodes: SimNode[]
  readonly checker: InvariantChecker
  readonly trace: Trace
  readonly stats: SimStats
  now = 0
  inSync = false
  readonly #rng: Prng
  readonly #net: Prng
  readonly #queue = new EventQueue<SimEvent>()
  readonly #options: SimOptions
  readonly #coreConfig: Omit<CoreConfig, 'self'>
  /** side of each replica while a partition holds; null when healed */
  #sides: number[] | null = null
  readonly #submitted = new Set<string>()
  #txCounter = 0
  #doneAt = -1
  #commitsSinceCheck = true
  #honestProposalsAfterDone = 0
  readonly #maxEvents: number
  readonly #syncPollMs: number
  readonly #twin: number

  constructor (options: SimOptions) {
    this.#options = options
    this.seed = options.seed
    this.n = options.n ?? 4
    this.f = Math.floor((this.n - 1) / 3)
    const root = new Prng(options.seed)
    const setup = root.fork('setup')
    this.#rng = root.fork('behaviour')
    this.#net = root.fork('network')
    this.committee = makeCommittee(this.n, setup, options.realCrypto === true)
    this.faults = { ...drawFaults(setup), ...options.faults }
    this.faultPhaseMs = options.faultPhaseMs ?? setup.int(20_000, 30_000)
    const byzantine = options.byzantine ?? drawByzantine(setup, this.n)
    const txCount = options.txCount ?? setup.int(3, 60)
    this.#maxEvents = options.maxEvents ?? 3_000_000
    this.#syncPollMs = options.syncPollMs ?? SYNC_POLL_MS
    this.#coreConfig = {
      chainId: this.chainId,
      committeeKeys: this.committee.keys,
      baseTimeoutMs: options.baseTimeoutMs ?? defaultSimTiming.baseTimeoutMs,
      maxTimeoutMs: options.maxTimeoutMs ?? defaultSimTiming.maxTimeoutMs,
      now: () => this.now,
      ...(options.leaderElection === undefined ? {} : { leaderElection: options.leaderElection })
    }
    this.checker = new InvariantChecker({ chainId: this.chainId, committeeKeys: this.committee.keys }, this.committee.verify, batchHash)
    this.trace = new Trace(200, options.liveTrace ?? null)
    const twin = options.twin ?? -1
    this.#twin = twin
    this.nodes = Array.from({ length: twin >= 0 ? this.n + 1 : this.n }, (_, addr) => {
      const id = addr < this.n ? addr : twin
      const spec = byzantine.find((b) => b.id === id)
      const byz = spec === undefined
        ? null
        : new Byzantine(id, spec.behaviours, root.fork(`byzantine-${id}`), {
          n: this.n, chainId: this.chainId, sign: this.committee.sign[id]!, batchHash, leaderOf: (r) => this.nodes[id]?.core?.leaderOf(r) ?? r % this.n
        })
      return {
        id,
        addr,
        honest: byz === null && id !== twin,
        byz,
        alive: false,
        incarnation: 0,
        core: null,
        durable: emptyDurable(),
        known: new Set(),
        lastWork: null,
        fetchInflight: new Map(),
        crashArmed: null,
        crashOn: null,
        timerGeneration: 0,
        wiped: false
      }
    })
    this.stats = {
      seed: this.seed,
      n: this.n,
      realCrypto: this.committee.real,
      faultPhaseMs: this.faultPhaseMs,
      virtualMs: 0,
      events: 0,
      messages: 0,
      dropped: 0,
      duplicated: 0,
      partitions: 0,
      crashes: 0,
      midStepCrashes: 0,
      byzantine: byzantine.map((b) => ({ id: b.id, behaviours: [...b.behaviours], counts: {} })),
      txs: 0,
      committedHeights: 0,
      blocksProposed: 0,
      emptyBlocksCommitted: 0,
      tcRounds: 0,
      maxRound: 0,
      allCommittedAt: -1,
      fetches: 0,
      fetchedBlocks: 0,
      syncedBlocks: 0,
      lateTimeouts: 0,
      rejects: {}
    }
    this.#schedulePlan(setup, txCount)
  }

  // ---- setup ----

  #schedulePlan (rng: Prng, txCount: number): void {
    const T = this.faultPhaseMs
    for (let i = 0; i < txCount; i++) this.#queue.push(rng.int(0, T - 1), { kind: 'submit', to: null })
    const honest = this.nodes.filter((x) => x.honest).map((x) => x.id)
    for (let i = 0; i < this.faults.crashes && honest.length > 0; i++) {
      const who = rng.pick(honest)
      const at = rng.int(0, T - 1)
      const downFor = rng.pick([50, 300, 1500, 5000, 15_000])
      this.#queue.push(at, { kind: 'crash', who, midStep: rng.chance(this.faults.midStepCrashP) })
      if (at + downFor < T) this.#queue.push(at + downFor, { kind: 'restart', who })
    }
    for (let i = 0; i < this.faults.partitions; i++) {
      const at = rng.int(0, T - 1)
      const sides = Array.from({ length: this.nodes.length }, () => rng.int(0, 1))
      const groups = [0, 1].map((s) => sides.flatMap((side, id) => side === s ? [id] : []))
      this.#queue.push(at, { kind: 'partition', groups })
      const heal = at + rng.pick([200, 1000, 3000, 8000])
      if (heal < T) this.#queue.push(heal, { kind: 'heal' })
    }
    for (const step of this.#options.script ?? []) this.#queueScript(step)
    this.#queue.push(T, { kind: 'syncPhase' })
    this.#queue.push(REGOSSIP_MS, { kind: 'regossip' })
    if (this.#syncPollMs > 0) this.#queue.push(this.#syncPollMs, { kind: 'syncPoll' })
    for (const node of this.nodes) {
      if (node.byz?.behaviours.has('replay') === true) this.#queue.push(rng.int(100, 700), { kind: 'replay', who: node.addr })
    }
  }

  #queueScript (step: ScriptStep): void {
    switch (step.action) {
      case 'crash': this.#queue.push(step.at, { kind: 'crash', who: step.who!, midStep: false }); break
      case 'wipe': this.#queue.push(step.at, { kind: 'wipe', who: step.who! }); break
      case 'restart': this.#queue.push(step.at, { kind: 'restart', who: step.who! }); break
      case 'partition': this.#queue.push(step.at, { kind: 'partition', groups: step.groups! }); break
      case 'heal': this.#queue.push(step.at, { kind: 'heal' }); break
      case 'submit':
        for (let i = 0; i < (step.count ?? 1); i++) this.#queue.push(step.at, { kind: 'submit', to: step.who ?? null })
        break
    }
  }

  // ---- running ----

  run (): SimResult {
    try {
      for (const node of this.nodes) this.#boot(node)
      this.#loop()
      this.#finishStats()
      return { ok: true, failure: null, stats: this.stats, traceTail: this.trace.tail() }
    } catch (err) {
      this.#finishStats()
      const failure = err instanceof SimFailure
        ? { invariant: err.invariant, message: err.message }
        : { invariant: 'simulator-exception', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }
      this.trace.add(this.now, -1, 'FAIL', -1, failure.message)
      return { ok: false, failure, stats: this.stats, traceTail: this.trace.tail() }
    }
  }

  #loop (): void {
    const deadline = this.faultPhaseMs + (this.#options.syncDeadlineMs ?? defaultSimTiming.syncDeadlineMs)
    const quiesce = this.#options.quiesceMs ?? defaultSimTiming.quiesceMs
    for (;;) {
      const next = this.#queue.peekTime()
      if (this.#doneAt >= 0 && (next === undefined || next > this.#doneAt + quiesce)) {
        this.now = this.#doneAt + quiesce
        this.#checkQuiet()
        return
      }
      if (next === undefined || next > deadline) {
        this.now = deadline
        throw new SimFailure('liveness', this.#livenessReport())
      }
      const { at, item } = this.#queue.pop()!
      this.now = at
      if (++this.stats.events > this.#maxEvents) throw new SimFailure('event-storm', `more than ${this.#maxEvents} events`)
      this.#handle(item)
      if (this.#doneAt < 0 && this.inSync && this.#commitsSinceCheck && this.#allCommitted()) {
        this.#doneAt = this.now
        this.stats.allCommittedAt = this.now
        this.trace.add(this.now, -1, 'all-committed', -1, `${this.#submitted.size} txs at every honest replica`)
      }
    }
  }

  #handle (event: SimEvent): void {
    switch (event.kind) {
      case 'net': return this.#deliver(event.to, event.from, event.payload)
      case 'timer': {
        const node = this.nodes[event.to]!
        if (!node.alive || node.incarnation !== event.incarnation || node.timerGeneration !== event.generation) return
        return this.#step(node, { type: 'timer', round: event.round })
      }
      case 'build': {
        const node = this.nodes[event.to]!
        if (!node.alive || node.incarnation !== event.incarnation) return
        return this.#build(node, event.action)
      }
      case 'release': {
        const node = this.nodes[event.to]!
        if (!node.alive || node.incarnation !== event.incarnation) return
        return this.#step(node, { type: 'proposal', from: event.action.from, proposal: event.action.proposal })
      }
      case 'submit': return this.#submit(event.to)
      case 'crash': {
        const node = this.nodes[event.who]!
        if (!node.alive || this.inSync) return
        if (event.midStep) {
          node.crashArmed = this.#rng.int(0, 3)
          this.#queue.push(this.now + 200, { kind: 'hardCrash', who: node.addr, incarnation: node.incarnation })
          return
        }
        return this.crash(node.addr)
      }
      case 'hardCrash': {
        const node = this.nodes[event.who]!
        if (node.alive && node.incarnation === event.incarnation && node.crashArmed !== null) this.crash(node.addr)
        return
      }
      case 'wipe': {
        const node = this.nodes[event.who]!
        if (this.inSync) return
        this.crash(node.addr)
        node.durable = emptyDurable()
        node.wiped = true
        this.trace.add(this.now, node.id, 'wipe', -1, 'data folder lost')
        return
      }
      case 'restart': return this.restart(event.who)
      case 'partition':
        if (this.inSync) return
        this.#sides = new Array<number>(this.nodes.length).fill(0)
        event.groups.forEach((g, side) => { for (const id of g) this.#sides![id] = side })
        this.stats.partitions++
        this.trace.add(this.now, -1, 'partition', -1, event.groups.map((g) => g.join(',')).join(' | '))
        return
      case 'heal':
        if (this.#sides !== null) this.trace.add(this.now, -1, 'heal', -1)
        this.#sides = null
        return
      case 'syncPhase':
        this.inSync = true
        this.#sides = null
        this.trace.add(this.now, -1, 'sync-phase', -1, 'no more drops, partitions or crashes')
        for (const node of this.nodes) {
          node.crashArmed = null
          if (!node.alive) this.restart(node.addr)
        }
        return
      case 'regossip':
        for (const node of this.nodes) if (node.alive && node.honest) this.#gossipOwn(node)
        this.#queue.push(this.now + REGOSSIP_MS, { kind: 'regossip' })
        return
      case 'syncPoll':
        for (const node of this.nodes) {
          if (!node.alive || !node.honest) continue
          const peer = this.#rng.pick(this.nodes.filter((x) => x.id !== node.id))
          this.#sendRaw(node.addr, peer.addr, { kind: 'syncReq', fromHeight: node.durable.log.length })
        }
        this.#queue.push(this.now + this.#syncPollMs, { kind: 'syncPoll' })
        return
      case 'replay': {
        const node = this.nodes[event.who]!
        if (node.alive && node.byz !== null) for (const o of node.byz.replay()) for (const to of this.#addrsOf(o.to)) this.#sendRaw(node.addr, to, { kind: 'consensus', message: o.message })
        this.#queue.push(this.now + this.#rng.int(100, 700), { kind: 'replay', who: event.who })
      }
    }
  }

  // ---- replicas: boot, crash, restart ----

  #boot (node: SimNode): void {
    const tip = this.#committedTip(node)
    node.core = new ConsensusCore({ ...this.#coreConfig, self: node.id }, this.committee.crypto[node.id]!, { safety: node.durable.safety, tip, recent: recentHeaders(node.durable.log, this.n), signedBefore: node.incarnation > 0 })
    node.alive = true
    this.#commitsSinceCheck = true
    node.incarnation++
    node.lastWork = null
    node.crashArmed = null
    node.fetchInflight.clear()
    node.known = new Set([...node.durable.submitted].filter((tx) => !node.durable.committedTxs.has(tx)))
    this.trace.add(this.now, node.id, node.incarnation === 1 ? 'boot' : 'restart', node.core.round, node.durable.safety === null ? '' : describeSafety(node.durable.safety))
    this.#step(node, { type: 'start' })
    const stored = [...node.durable.blocks.values()].sort((a, b) => a.header.height - b.header.height)
    if (node.alive && stored.length > 0) this.#step(node, { type: 'blocks', blocks: stored })
    if (node.alive) this.#gossipOwn(node)
  }

  #committedTip (node: SimNode): CommittedTip | null {
    const last = node.durable.log[node.durable.log.length - 1]
    if (last === undefined) return null
    return tipOf(last.block)
  }

  crash (id: number): void {
    const node = this.nodes[id]!
    if (!node.alive) return
    node.alive = false
    node.core = null
    node.known = new Set()
    node.crashArmed = null
    node.crashOn = null
    node.incarnation++ // timers and builds of the old incarnation are void
    this.stats.crashes++
    this.trace.add(this.now, id, 'crash', -1)
  }

  restart (id: number): void {
    const node = this.nodes[id]!
    if (node.alive) return
    this.#boot(node)
  }

  // ---- the driver: one step of a replica's core and its actions ----

  #step (node: SimNode, event: CoreEvent): void {
    const core = node.core!
    let actions: CoreAction[]
    try {
      actions = core.step(event)
    } catch (err) {
      throw new SimFailure('core-exception', `r${node.id} threw on ${event.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    }
    this.#traceEvent(node, event)
    const armed = node.crashArmed !== null && (node.crashOn === null || node.crashOn === event.type)
    for (let i = 0; i < actions.length; i++) {
      if (armed && i >= node.crashArmed!) {
        this.stats.midStepCrashes++
        this.trace.add(this.now, node.id, 'mid-step-crash', core.round, `after ${i} of ${actions.length} actions`)
        this.crash(node.addr)
        return
      }
      this.#apply(node, actions[i]!)
      if (!node.alive) return
    }
    if (armed && actions.length > 0) {
      this.stats.midStepCrashes++
      this.crash(node.addr)
      return
    }
    this.#options.hooks?.afterStep?.(this, node.addr, event, actions)
    if (node.alive) this.#updateWork(node)
  }

  #traceEvent (node: SimNode, event: CoreEvent): void {
    const round = node.core?.round ?? -1
    switch (event.type) {
      case 'proposal': {
        const h = event.proposal.header
        this.trace.add(this.now, node.id, 'recv-proposal', round, `from r${event.from} r${h.round}/h${h.height} txs=${h.txCount} justify=r${event.proposal.justify.round}${event.proposal.tc.length > 0 ? ` tc=r${event.proposal.tc[0]!.round}` : ''}`)
        return
      }
      case 'vote': this.trace.add(this.now, node.id, 'recv-vote', round, `from r${event.from} for r${event.vote.round}/h${event.vote.height} ${bytesToHex(event.vote.batchHash).slice(0, 8)}`); return
      case 'timeout': this.trace.add(this.now, node.id, 'recv-timeout', round, `from r${event.from} for r${event.timeout.round} highQc=r${event.timeout.highQc.round}`); return
      case 'certificate': this.trace.add(this.now, node.id, 'recv-qc', round, `from r${event.from} r${event.certificate.round}/h${event.certificate.height}`); return
      case 'timer': this.trace.add(this.now, node.id, 'timer', round, `for r${event.round}`); return
      case 'work': this.trace.add(this.now, node.id, 'work', round, String(event.pending)); return
      case 'proposalBuilt': this.trace.add(this.now, node.id, 'built', round, `r${event.header.round}/h${event.header.height} txs=${event.header.txCount}`); return
      case 'blocks': this.trace.add(this.now, node.id, 'recv-blocks', round, `${event.blocks.length} blocks${event.blocks.length > 0 ? ` h${event.blocks[0]!.header.height}..h${event.blocks[event.blocks.length - 1]!.header.height}` : ''}`); return
      case 'synced': return
      case 'start': this.trace.add(this.now, node.id, 'start', round); return
    }
  }

  #apply (node: SimNode, action: CoreAction): void {
    const core = node.core!
    switch (action.type) {
      case 'persist':
        if (node.honest) this.checker.checkPersist(node.id, node.durable.safety, action.safety)
        node.durable.safety = action.safety
        return
      case 'send':
        this.#sendConsensus(node, action.to, action.message)
        return
      case 'broadcast':
        this.#sendConsensus(node, null, action.message)
        return
      case 'setTimer':
        this.#queue.push(this.now + action.delayMs, { kind: 'timer', to: node.addr, round: action.round, incarnation: node.incarnation, generation: ++node.timerGeneration })
        return
      case 'buildProposal':
        this.#queue.push(this.now + this.#rng.int(0, 2), { kind: 'build', to: node.addr, incarnation: node.incarnation, action })
        return
      case 'commit':
        for (const { block, proof } of action.blocks) this.#commit(node, block, proof)
        return
      case 'fetch': {
        const key = bytesToHex(action.hash)
        const last = node.fetchInflight.get(key)
        if (last !== undefined && this.now - last < FETCH_RETRY_MS) return
        node.fetchInflight.set(key, this.now)
        // First ask whom the core names; a retry goes to a random peer (the first may be down or lying).
        let target = action.from
        if (last !== undefined || target === node.id || target >= this.n) target = this.#rng.pick(this.nodes.filter((x) => x.id !== node.id)).id
        this.trace.add(this.now, node.id, 'fetch', core.round, `${key.slice(0, 8)} from r${target}`)
        this.stats.fetches++
        this.#sendRaw(node.addr, target, { kind: 'fetchReq', hash: action.hash })
        return
      }
      case 'enterRound':
        if (action.via === 'tc' && node.honest) this.stats.tcRounds++
        if (action.round > this.stats.maxRound) this.stats.maxRound = action.round
        this.trace.add(this.now, node.id, 'enter', action.round, `via ${action.via} leader r${action.leader}`)
        return
      case 'release':
        // As the node's driver does: the proposal goes through the payload checks again, then in.
        this.#queue.push(this.now, { kind: 'release', to: node.addr, incarnation: node.incarnation, action })
        return
      case 'reject': {
        // Messages of honest senders are well-formed: refusing one is a bug (certificates
        // excepted: a fetched block's certificate is attributed to its proposer, not to
        // whoever served it).
        // LEADER_UNKNOWN costs nothing: members a few commits apart may disagree on a leader.
        // A wiped member is behind by every round: what it ignores for that is expected.
        const policy = rejectPolicyOf(action.code)
        const expected = policy.penalty === 0 || (node.wiped && policy.verdict === 'IGNORE')
        if (node.honest && this.nodes[action.from]?.honest === true && action.kind !== 'certificate' && !expected) {
          throw new SimFailure('honest-rejected', `r${node.id} refused a ${action.kind} of honest r${action.from}: ${action.code} ${action.detail ?? ''}`)
        }
        const key = `${node.honest ? 'honest' : 'byz'}<-${this.nodes[action.from]?.honest === true ? 'honest' : 'byz'} ${action.kind}: ${action.code}`
        this.stats.rejects[key] = (this.stats.rejects[key] ?? 0) + 1
        this.trace.add(this.now, node.id, 'reject', core.round, `${action.kind} from r${action.from}: ${action.code} ${action.detail ?? ''}`)
      }
    }
  }

  #sendConsensus (node: SimNode, to: number | null, message: ConsensusMessage): void {
    if (node.honest) {
      const safety = node.durable.safety
      if (message.kind === 'vote') this.checker.checkVote(node.id, message.vote, safety)
      else if (message.kind === 'timeout') {
        if (message.timeout.voter === node.id) {
          this.checker.checkTimeout(node.id, message.timeout, safety)
          if (this.#doneAt >= 0 && this.now > this.#doneAt + this.#coreConfig.maxTimeoutMs) this.stats.lateTimeouts++
        }
        else this.checker.checkCertificate(message.timeout.highQc) // relayed
      }
      else if (message.kind === 'proposal') this.checker.checkProposal(node.id, message.proposal, safety)
      else this.checker.checkCertificate(message.certificate)
    }
    this.trace.add(this.now, node.id, to === null ? `bcast-${message.kind}` : `send-${message.kind}`, node.core?.round ?? -1, `${to === null ? '' : `to r${to} `}${describeMessage(message)}`)
    if (message.kind === 'proposal' && message.proposal.header.proposer === node.id) {
      this.stats.blocksProposed++
      if (this.#doneAt >= 0 && node.honest) this.#honestProposalsAfterDone++
    }
    let out: Outgoing[]
    if (node.byz !== null) out = node.byz.tamper(to, message)
    else if (to === null) out = this.nodes.filter((x) => x.addr < this.n && x.id !== node.id).map((x) => ({ to: x.id, message }))
    else out = [{ to, message }]
    for (const o of out) for (const addr of this.#addrsOf(o.to)) this.#sendRaw(node.addr, addr, { kind: 'consensus', message: o.message })
  }

  // ---- network ----

  #blocked (from: number, to: number): boolean {
    return this.#sides !== null && this.#sides[from] !== this.#sides[to]
  }

  #delay (): number {
    const rng = this.#net
    if (this.inSync) return rng.int(SYNC_MIN_DELAY_MS, SYNC_MAX_DELAY_MS)
    if (rng.chance(this.faults.longDelayP)) return rng.int(this.faults.maxDelayMs, this.faults.longDelayMaxMs)
    return rng.int(this.faults.minDelayMs, this.faults.maxDelayMs)
  }

  #sendRaw (from: number, to: number, payload: NetPayload): void {
    if (from === to) return
    this.stats.messages++
    if (!this.inSync) {
      if (this.#blocked(from, to) || this.#net.chance(this.faults.dropP)) {
        this.stats.dropped++
        return
      }
      if (this.#net.chance(this.faults.dupP)) {
        this.stats.duplicated++
        this.#queue.push(this.now + this.#delay(), { kind: 'net', to, from, payload })
      }
    }
    this.#queue.push(this.now + this.#delay(), { kind: 'net', to, from, payload })
  }

  /** The addresses of a member: its own, and its twin's when it runs twice. */
  #addrsOf (id: number): number[] {
    return id === this.#twin ? [id, this.n] : [id]
  }

  #idOf (addr: number): number {
    return addr < this.n ? addr : this.#twin
  }

  #deliver (to: number, from: number, payload: NetPayload): void {
    const node = this.nodes[to]!
    if (!node.alive) return
    if (this.#blocked(from, to)) {
      this.stats.dropped++
      return
    }
    switch (payload.kind) {
      case 'consensus': {
        const m = payload.message
        from = this.#idOf(from) // the sender as a member (either instance of a twinned one)
        node.byz?.observeIncoming(m)
        switch (m.kind) {
          case 'proposal':
            this.#learnTxs(node, m.proposal.header.chunkDigests.map(bytesToHex))
            // As the node's driver does: only a proposal whose signature verified is stored.
            if (node.core?.screenProposal(from, m.proposal).ok === true) this.#storeBlock(node, { hash: batchHash(m.proposal.header), header: m.proposal.header, justify: m.proposal.justify })
            return this.#step(node, { type: 'proposal', from, proposal: m.proposal })
          case 'vote': return this.#step(node, { type: 'vote', from, vote: m.vote })
          case 'timeout': return this.#step(node, { type: 'timeout', from, timeout: m.timeout })
          case 'certificate': return this.#step(node, { type: 'certificate', from, certificate: m.certificate })
        }
        return
      }
      case 'gossip':
        this.#learnTxs(node, payload.txs)
        if (node.alive) this.#updateWork(node)
        return
      case 'fetchReq': {
        let blocks = this.#answerFetch(node, payload.hash)
        if (node.byz !== null) blocks = node.byz.tamperFetch(blocks)
        if (blocks.length > 0) this.#sendRaw(node.addr, from, { kind: 'fetchResp', hash: payload.hash, blocks })
        return
      }
      case 'fetchResp':
        node.fetchInflight.delete(bytesToHex(payload.hash))
        this.stats.fetchedBlocks += payload.blocks.length
        return this.#step(node, { type: 'blocks', blocks: payload.blocks })
      case 'syncReq': {
        if (node.byz?.silent === true) return
        let entries = node.durable.log.slice(payload.fromHeight, payload.fromHeight + SYNC_BATCH).map((e) => ({ block: e.block, proof: e.proof }))
        if (node.byz !== null) entries = node.byz.tamperSync(entries)
        if (entries.length > 0) this.#sendRaw(node.addr, from, { kind: 'syncResp', entries })
        return
      }
      case 'syncResp': return this.#applySync(node, from, payload.entries)
    }
  }

  /** Appends verified committed blocks from a peer, then tells the core its new tip. */
  #applySync (node: SimNode, from: number, entries: Array<{ block: CoreBlock, proof: LogEntry['proof'] }>): void {
    const d = node.durable
    let added = 0
    for (const { block, proof } of entries) {
      if (block.header.height < d.log.length) continue
      if (block.header.height > d.log.length) break
      const parent = d.log.length === 0 ? ZERO_HASH : d.log[d.log.length - 1]!.block.hash
      if (!equalBytes(batchHash(block.header), block.hash) || !equalBytes(block.header.parentHash, parent)) break
      const check = verifyCommitProof({ chainId: this.chainId, committeeKeys: this.committee.keys }, block.header, block.hash, proof, { batchHash, verifySignature: this.committee.verify })
      if (!check.ok) break
      this.#commit(node, block, proof, 'sync')
      this.stats.syncedBlocks++
      added++
    }
    if (added === 0) return
    this.trace.add(this.now, node.id, 'synced', node.core!.round, `${added} blocks from r${from}, tip h${d.log.length - 1}`)
    this.#step(node, { type: 'synced', tip: this.#committedTip(node)!, headers: recentHeaders(d.log, this.n) })
  }

  #storeBlock (node: SimNode, block: CoreBlock): void {
    const d = node.durable
    if (block.header.height < d.log.length || d.blocks.size >= MAX_STORED_BLOCKS) return
    d.blocks.set(bytesToHex(block.hash), block)
  }

  /** The block with this hash and up to FETCH_ANCESTORS of its ancestors, oldest first. */
  #answerFetch (node: SimNode, hash: Uint8Array): CoreBlock[] {
    const out: CoreBlock[] = []
    let cursor: Uint8Array = hash
    while (out.length <= FETCH_ANCESTORS) {
      const key = bytesToHex(cursor)
      const block = node.core?.block(cursor) ?? node.durable.blocks.get(key) ?? this.#loggedBlock(node, key)
      if (block === undefined) break
      out.push(block)
      if (block.header.height === 0) break
      cursor = block.header.parentHash
    }
    return out.reverse()
  }

  #loggedBlock (node: SimNode, key: string): CoreBlock | undefined {
    const height = node.durable.byHash.get(key)
    return height === undefined ? undefined : node.durable.log[height]!.block
  }

  // ---- txs: submission, gossip, work, proposals ----

  #submit (to: number | null): void {
    const candidates = this.nodes.filter((x) => x.honest && x.alive)
    if (to !== null) {
      const target = this.nodes[to]!
      if (!target.alive) {
        this.#queue.push(this.now + 100, { kind: 'submit', to })
        return
      }
    } else if (candidates.length === 0) {
      this.#queue.push(this.now + 100, { kind: 'submit', to: null })
      return
    }
    const node = to !== null ? this.nodes[to]! : this.#rng.pick(candidates)
    const tx = bytesToHex(this.#rng.bytes(28)) + (this.#txCounter++).toString(16).padStart(8, '0')
    this.stats.txs++
    if (node.honest) this.#submitted.add(tx)
    node.durable.submitted.add(tx)
    node.known.add(tx)
    this.trace.add(this.now, node.id, 'submit', node.core?.round ?? -1, tx.slice(0, 8))
    for (const peer of this.nodes) if (peer.id !== node.id) this.#sendRaw(node.addr, peer.addr, { kind: 'gossip', txs: [tx] })
    this.#updateWork(node)
  }

  #gossipOwn (node: SimNode): void {
    const txs = [...node.durable.submitted].filter((tx) => !node.durable.committedTxs.has(tx))
    if (txs.length === 0 || node.byz?.silent === true) return
    for (const peer of this.nodes) if (peer.id !== node.id) this.#sendRaw(node.addr, peer.addr, { kind: 'gossip', txs })
  }

  #learnTxs (node: SimNode, txs: string[]): void {
    for (const tx of txs) if (!node.durable.committedTxs.has(tx)) node.known.add(tx)
  }

  /** Work is pending while a known tx is neither committed nor in the certified chain. */
  #pending (node: SimNode): boolean {
    if (node.known.size === 0) return false
    const chain = node.core!.certifiedChain()
    if (chain === null || chain.every((b) => b.header.txCount === 0)) return true
    const inChain = new Set<string>()
    for (const b of chain) for (const d of b.header.chunkDigests) inChain.add(bytesToHex(d))
    for (const tx of node.known) if (!inChain.has(tx)) return true
    return false
  }

  #updateWork (node: SimNode): void {
    const pending = this.#pending(node)
    if (pending === node.lastWork) return
    node.lastWork = pending
    this.#step(node, { type: 'work', pending })
  }

  #build (node: SimNode, action: Extract<CoreAction, { type: 'buildProposal' }>): void {
    const core = node.core!
    const parent = action.parent
    // Exclude what the parent chain already orders: its uncommitted ancestors and the committed log.
    const inAncestors = new Set<string>()
    let cursor: Uint8Array = parent.hash
    const tip = core.tip
    while (!equalBytes(cursor, tip.hash) && !equalBytes(cursor, ZERO_HASH)) {
      const block = core.block(cursor)
      if (block === undefined || block.header.height <= tip.height) break
      for (const d of block.header.chunkDigests) inAncestors.add(bytesToHex(d))
      cursor = block.header.parentHash
    }
    const max = this.#options.maxTxsPerBlock ?? 32
    const chosen: Uint8Array[] = []
    for (const tx of node.known) {
      if (chosen.length >= max) break
      if (inAncestors.has(tx) || node.durable.committedTxs.has(tx)) continue
      chosen.push(hexBytes(tx))
    }
    const header: BatchHeader = {
      version: 1,
      chainId: this.chainId,
      height: parent.height + 1,
      round: action.round,
      parentHash: parent.hash,
      proposer: node.id,
      timestamp: Math.max(TIMESTAMP_BASE + this.now, parent.timestamp),
      payloadRoot: this.#rng.bytes(48),
      namespaces: [],
      chunkDigests: chosen,
      txCount: chosen.length
    }
    this.#storeBlock(node, { hash: batchHash(header), header, justify: action.justify })
    this.#step(node, { type: 'proposalBuilt', round: action.round, header })
  }

  // ---- commits ----

  #commit (node: SimNode, block: CoreBlock, proof: LogEntry['proof'], via: 'core' | 'sync' = 'core'): void {
    const d = node.durable
    const hashHex = node.honest
      ? this.checker.checkCommit(node.id, d.log, block, proof, d.committedTxs)
      : bytesToHex(block.hash)
    d.byHash.set(hashHex, d.log.length)
    d.log.push({ block, proof, hashHex })
    for (const [key, b] of d.blocks) if (b.header.height <= block.header.height) d.blocks.delete(key)
    for (const digest of block.header.chunkDigests) {
      const tx = bytesToHex(digest)
      d.committedTxs.add(tx)
      node.known.delete(tx)
    }
    if (node.honest) {
      if (d.log.length > this.stats.committedHeights) {
        this.stats.committedHeights = d.log.length
        if (block.header.txCount === 0) this.stats.emptyBlocksCommitted++
      }
    }
    this.#commitsSinceCheck = true
    this.trace.add(this.now, node.id, via === 'core' ? 'commit' : 'commit-synced', node.core?.round ?? -1, `h${block.header.height} r${block.header.round} txs=${block.header.txCount} ${hashHex.slice(0, 8)}`)
  }

  // ---- liveness ----

  #allCommitted (): boolean {
    this.#commitsSinceCheck = false
    for (const node of this.nodes) {
      if (!node.honest) continue
      if (!node.alive) return false
      for (const tx of this.#submitted) if (!node.durable.committedTxs.has(tx)) return false
    }
    return true
  }

  /**
   * With nothing left to order the chain must go quiet: a few blocks may still finish
   * (the empty child that finalises the last non-empty block), not an endless stream,
   * and after one timer period no honest replica still times out rounds.
   */
  #checkQuiet (): void {
    const window = this.#options.quiesceMs ?? defaultSimTiming.quiesceMs
    if (this.#honestProposalsAfterDone > MAX_BLOCKS_WHEN_IDLE) {
      throw new SimFailure('idle-chain', `honest replicas proposed ${this.#honestProposalsAfterDone} blocks in the ${window} ms after every tx was committed`)
    }
    if (this.stats.lateTimeouts > 0) {
      throw new SimFailure('idle-chain', `honest replicas still sent ${this.stats.lateTimeouts} timeouts more than ${this.#coreConfig.maxTimeoutMs} ms after every tx was committed`)
    }
  }

  #livenessReport (): string {
    const lines = [`not every submitted tx was committed at every honest replica ${this.now - this.faultPhaseMs} ms after the faults stopped`]
    for (const node of this.nodes) {
      const missing = [...this.#submitted].filter((tx) => !node.durable.committedTxs.has(tx)).length
      const core = node.core
      const state = core === null ? 'down' : `round ${core.round}, highQc r${core.highQc.round}/h${core.highQc.height}, tip h${core.tip.height}, chain ${core.certifiedChain()?.length ?? 'broken'}`
      lines.push(`  r${node.id}${node.honest ? '' : ' (byzantine)'}: ${node.durable.log.length} committed, ${node.honest ? `${missing} of ${this.#submitted.size} txs missing, ` : ''}${state}`)
    }
    return lines.join('\n')
  }

  #finishStats (): void {
    this.stats.virtualMs = this.now
    for (const s of this.stats.byzantine) s.counts = Object.fromEntries(this.nodes[s.id]!.byz?.counts ?? [])
  }

  // ---- for scenario tests ----

  /** Adds a scripted step (crash, restart, partition, heal, submit) at a virtual time. */
  schedule (step: ScriptStep): void {
    this.#queueScript(step)
  }

  /** Crashes a replica in the middle of its next step (of kind `on`), after `afterActions` of its actions. */
  armCrash (id: number, afterActions: number, on: CoreEvent['type'] | null = null): void {
    this.nodes[id]!.crashArmed = afterActions
    this.nodes[id]!.crashOn = on
  }

  core (id: number): ConsensusCore | null { return this.nodes[id]!.core }
  committedLog (id: number): readonly LogEntry[] { return this.nodes[id]!.durable.log }
}

function describeMessage (m: ConsensusMessage): string {
  switch (m.kind) {
    case 'proposal': return `r${m.proposal.header.round}/h${m.proposal.header.height} txs=${m.proposal.header.txCount}`
    case 'vote': return `r${m.vote.round}/h${m.vote.height} ${bytesToHex(m.vote.batchHash).slice(0, 8)}`
    case 'timeout': return `r${m.timeout.round} highQc=r${m.timeout.highQc.round}`
    case 'certificate': return `r${m.certificate.round}/h${m.certificate.height}`
  }
}

function emptyDurable (): Durable {
  return { safety: null, log: [], byHash: new Map(), committedTxs: new Set(), submitted: new Set(), blocks: new Map() }
}

/** The latest committed headers a leader choice can look at, as the node's driver loads them from its store. */
function recentHeaders (log: readonly LogEntry[], n: number): BatchHeader[] {
  return log.slice(-historyRounds(defaultLeaderElectionOptions(n))).map((e) => e.block.header)
}

function hexBytes (hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

export function runSimulation (options: SimOptions): SimResult {
  return new Simulation(options).run()
}
