/**
 * Chained two-phase HotStuff as in Jolteon (Gelashvili et al., "Jolteon and Ditto", FC 2022)
 * and DiemBFT v4 (Diem team, 2021), as a deterministic state machine: no I/O, no clock, no
 * randomness. `step(event)` returns actions for the driver (persist, send, set a timer,
 * build a proposal, commit, fetch). The rules, as implemented here, are in docs/PROTOCOL.md.
 *
 * The parts it runs: safety-rules.ts (the only writer of the safety state), vote-keeper.ts
 * (votes and timeouts into certificates), block-tree.ts (blocks and the one buffer of
 * proposals waiting for their parent), pacemaker.ts (rounds, timers, leader choice),
 * proposal-validation.ts (the rules for a proposal) and certificate-cache.ts. The driver
 * checks a proposal's payload (chunks present, payload root) before handing it in.
 */
import type { BatchHeader, Certificate, CommitProof, Proposal, Timeout, TimeoutCertificate, Vote } from '../codec/index.js'
import { equalBytes } from '../crypto/hex.js'
import { BlockTree, GENESIS_TIP, tipOf, type CommittedTip, type CoreBlock, type WaitingProposal } from './block-tree.js'
import { CertificateCache } from './certificate-cache.js'
import { quorumOf, voteMessage, type VerifySignature } from './certificate.js'
import { makeCommitProof } from './commit-proof.js'
import { isGenesisQc } from './genesis.js'
import { defaultLeaderElectionOptions, type CommittedLeader, type LeaderElectionOptions } from './leader-election.js'
import { Pacemaker } from './pacemaker.js'
import { ProposalScreen, checkProposalJustification, checkProposalParent, type Screened } from './proposal-validation.js'
import { ConsensusRejectCode as C, type ConsensusMessageKind, type ConsensusRejectCode } from './reject-codes.js'
import { SafetyRules, type SafetyState } from './safety-rules.js'
import { proposalMessage, timeoutMessage } from './signing.js'
import { verifyTimeoutCertificate } from './timeout-certificate.js'
import { VoteKeeper } from './vote-keeper.js'

export { GENESIS_QC, ZERO_HASH, isGenesisQc } from './genesis.js'
export type { SafetyState } from './safety-rules.js'
export type { CoreBlock, CommittedTip } from './block-tree.js'

export interface CoreConfig {
  chainId: string
  committeeKeys: Uint8Array[]
  self: number
  /** first round timeout; doubles with each consecutive timed-out round */
  baseTimeoutMs: number
  maxTimeoutMs: number
  /** leader reputation's windows (default: defaultLeaderElectionOptions(n)) */
  leaderElection?: LeaderElectionOptions
  /** a monotonic clock in ms: the base timeout adapts to the QC latency (pacemaker.ts); without it the base is fixed */
  now?: () => number
}

/** What the core starts from: the stored safety state (null: none, a new or wiped member), the committed tip and the latest committed headers (for the leader choice). */
export interface CoreRestored {
  safety: SafetyState | null
  tip: CommittedTip | null
  recent?: readonly CommittedLeader[]
  /** this member's key ran before (a data folder lost since: it may have signed what `safety` no longer says) */
  signedBefore?: boolean
}

export interface CoreCrypto {
  sign: (message: Uint8Array) => Uint8Array
  verify: VerifySignature
  batchHash: (header: BatchHeader) => Uint8Array
}

export type ConsensusMessage =
  | { kind: 'proposal', proposal: Proposal }
  | { kind: 'vote', vote: Vote }
  | { kind: 'timeout', timeout: Timeout }
  | { kind: 'certificate', certificate: Certificate }

export type CoreEvent =
  | { type: 'start' }
  | { type: 'proposal', from: number, proposal: Proposal }
  | { type: 'vote', from: number, vote: Vote }
  | { type: 'timeout', from: number, timeout: Timeout }
  | { type: 'certificate', from: number, certificate: Certificate }
  | { type: 'timer', round: number }
  | { type: 'work', pending: boolean }
  | { type: 'proposalBuilt', round: number, header: BatchHeader }
  /** the driver found nothing to order after all (its view of pending work had moved on) */
  | { type: 'proposalDeclined', round: number }
  | { type: 'blocks', blocks: CoreBlock[] }
  /** catch-up moved the committed tip; `headers`: the synced headers in height order (the latest ones suffice) */
  | { type: 'synced', tip: CommittedTip, headers?: readonly CommittedLeader[] }

export type CoreAction =
  | { type: 'persist', safety: SafetyState }
  | { type: 'send', to: number, message: ConsensusMessage }
  | { type: 'broadcast', message: ConsensusMessage }
  | { type: 'setTimer', round: number, delayMs: number }
  | { type: 'buildProposal', round: number, parent: CommittedTip, justify: Certificate, tc: TimeoutCertificate | null }
  | { type: 'commit', blocks: Array<{ block: CoreBlock, proof: CommitProof }> }
  | { type: 'fetch', hash: Uint8Array, from: number }
  /** a proposal that waited for its parent: the parent is here, hand it in again (after the payload checks) */
  | { type: 'release', from: number, proposal: Proposal }
  | { type: 'enterRound', round: number, leader: number, via: 'qc' | 'tc' | 'start' }
  | { type: 'reject', kind: ConsensusMessageKind, from: number, code: ConsensusRejectCode, detail?: string }

export class ConsensusCore {
  readonly n: number
  readonly quorum: number
  readonly #safety: SafetyRules
  readonly #tree: BlockTree
  readonly #pacemaker: Pacemaker
  readonly #votes: VoteKeeper
  readonly #certificates: CertificateCache
  readonly #proposals: ProposalScreen
  #pendingWork = false
  #requestedRound = 0
  /** the delay of the round timer last set (what a timer event stands for), and whether it is still to fire */
  #timerDelayMs = 0
  #timerPending = false
  /** votes of rounds up to this one go to every member (`#votesToAll`) */
  #votesToAllThrough = 0
  /** after a TC, rounds until the leader choice can judge a silent member absent */
  readonly #votesToAllRounds: number
  #actions: CoreAction[] = []

  constructor (readonly config: CoreConfig, readonly crypto: CoreCrypto, restored: CoreRestored) {
    this.n = config.committeeKeys.length
    this.quorum = quorumOf(this.n)
    const election = config.leaderElection ?? defaultLeaderElectionOptions(this.n)
    this.#votesToAllRounds = election.windowRounds + election.excludeRounds
    this.#safety = new SafetyRules(restored.safety, restored.signedBefore === true, config.maxTimeoutMs)
    this.#tree = new BlockTree(restored.tip)
    this.#pacemaker = new Pacemaker(this.n, config, Math.max(this.#safety.highQc.round + 1, this.#tree.tip.round + 1))
    this.#pacemaker.noteCommitted(restored.recent ?? [])
    this.#votes = new VoteKeeper(this.n, this.quorum)
    const committee = { chainId: config.chainId, committeeKeys: config.committeeKeys }
    this.#certificates = new CertificateCache(committee, crypto.verify, config.self)
    this.#proposals = new ProposalScreen({ ...committee, verify: crypto.verify, batchHash: crypto.batchHash, leaderOf: (round) => this.leaderOf(round) })
  }

  leaderOf (round: number): number {
    return this.#pacemaker.leaderOf(round)
  }

  /** Members the committed chain judges absent in `round` (they lead only probe rounds). */
  excludedAt (round: number): readonly number[] {
    return this.#pacemaker.excludedAt(round)
  }

  get round (): number { return this.#pacemaker.round }
  get safety (): Readonly<SafetyState> { return this.#safety.state }
  get tip (): Readonly<CommittedTip> { return this.#tree.tip }
  get highQc (): Certificate { return this.#safety.highQc }
  /** Votes and timeouts held for rounds not over yet (bounded: see vote-keeper.ts). */
  get retainedMessages (): number { return this.#votes.retained }

  /** Uncommitted blocks from the committed tip up to the high QC's block (oldest first); null if a link is missing. */
  certifiedChain (): CoreBlock[] | null {
    return this.#tree.chainTo(this.#safety.highQc.batchHash)
  }

  /** Whether anything waits to be ordered or finalised (a leader proposes only then). */
  isActive (): boolean {
    if (this.#pendingWork) return true
    const chain = this.certifiedChain()
    return chain === null || chain.some((b) => b.header.txCount > 0)
  }

  block (hash: Uint8Array): CoreBlock | undefined {
    return this.#tree.block(hash)
  }

  /** Whether `hash` is the committed tip or an uncommitted block here. */
  knowsBlock (hash: Uint8Array): boolean {
    return this.#tree.knows(hash)
  }

  /**
   * The proposal rules that hold before anything is fetched or stored for it (pure; the
   * driver asks on receipt). LEADER_UNKNOWN: the sender does not lead the round by the
   * chain we committed, but the proposal's QC may commit what makes it the leader: the
   * driver hands the QC in and asks again.
   */
  screenProposal (from: number, proposal: Proposal): Screened {
    return this.#proposals.screen(from, proposal)
  }

  step (event: CoreEvent): CoreAction[] {
    this.#actions = []
    switch (event.type) {
      case 'start': this.#enterRound(this.round, 'start'); break
      case 'proposal': this.#onProposal(event.from, event.proposal); break
      case 'vote': this.#onVote(event.from, event.vote); break
      case 'timeout': this.#onTimeout(event.from, event.timeout); break
      case 'certificate': this.#processQc(event.certificate, event.from); break
      case 'timer': this.#onTimer(event.round); break
      case 'work': this.#onWork(event.pending); break
      case 'proposalBuilt': this.#onProposalBuilt(event.round, event.header); break
      case 'proposalDeclined': if (this.#requestedRound === event.round) this.#requestedRound = event.round - 1; break
      case 'blocks': this.#onBlocks(event.blocks); break
      case 'synced': this.#onSynced(event.tip, event.headers ?? []); break
    }
    const actions = this.#actions
    this.#actions = []
    return actions
  }

  #emit (action: CoreAction): void {
    this.#actions.push(action)
  }

  #reject (kind: ConsensusMessageKind, from: number, code: ConsensusRejectCode, detail?: string): void {
    this.#emit(detail === undefined ? { type: 'reject', kind, from, code } : { type: 'reject', kind, from, code, detail })
  }

  #persist (): void {
    this.#emit({ type: 'persist', safety: this.#safety.state })
  }

  // ---- activity: the chain idles when nothing waits to be ordered or finalised ----

  #onWork (pending: boolean): void {
    this.#pendingWork = pending
    this.#armRound()
  }

  /** Arms the round timer and, as leader, asks for a proposal, if there is anything to do. */
  #armRound (): void {
    if (!this.isActive()) return
    if (this.#safety.recovering) {
      // Listening after a start without state: one timer at a time whatever the rounds do, so the time adds up.
      if (!this.#timerPending) this.#setTimer(this.#pacemaker.timeoutDelay())
    } else {
      const delayMs = this.#pacemaker.armTimer()
      if (delayMs !== null) this.#setTimer(delayMs)
    }
    this.#maybePropose()
  }

  #enterRound (round: number, via: 'qc' | 'tc' | 'start'): void {
    if (via === 'tc') this.#votesToAllThrough = Math.max(this.#votesToAllThrough, round + this.#votesToAllRounds)
    this.#emit({ type: 'enterRound', round, leader: this.leaderOf(round), via })
    this.#prune()
    this.#armRound()
  }

  // ---- leader ----

  #maybePropose (): void {
    const round = this.round
    if (this.leaderOf(round) !== this.config.self) return
    if (this.#requestedRound >= round || !this.#safety.mayPropose(round)) return
    if (!this.isActive()) return
    const parent = this.#parentForProposal()
    if (parent === null) return
    const tc = this.#pacemaker.tcFor(round)
    if (tc === null && this.#safety.highQc.round !== round - 1) return // cannot justify a proposal in this round
    this.#requestedRound = round
    this.#emit({ type: 'buildProposal', round, parent, justify: this.#safety.highQc, tc })
  }

  #parentForProposal (): CommittedTip | null {
    const qc = this.#safety.highQc
    if (isGenesisQc(qc)) return GENESIS_TIP
    const parent = this.#tree.parentInfo(qc.batchHash)
    if (parent === null) this.#emit({ type: 'fetch', hash: qc.batchHash, from: this.leaderOf(qc.round) })
    return parent
  }

  #onProposalBuilt (round: number, header: BatchHeader): void {
    if (round !== this.round || this.leaderOf(round) !== this.config.self || !this.#safety.mayPropose(round)) return
    if (!equalBytes(header.parentHash, this.#safety.highQc.batchHash)) {
      // A higher QC arrived while the payload was being built: build again on its block.
      this.#requestedRound = 0
      this.#maybePropose()
      return
    }
    const hash = this.crypto.batchHash(header)
    const tc = this.#pacemaker.tcFor(round)
    const proposal: Proposal = {
      version: 1,
      header,
      justify: this.#safety.highQc,
      tc: tc === null ? [] : [tc],
      signature: this.crypto.sign(proposalMessage(this.config.chainId, hash))
    }
    this.#proposals.rememberOwn(hash, proposal.signature)
    this.#safety.recordProposal(round)
    this.#persist()
    this.#emit({ type: 'broadcast', message: { kind: 'proposal', proposal } })
    this.#onProposal(this.config.self, proposal)
  }

  // ---- certificates ----

  /** A valid QC: raise the high QC, apply the commit rule, enter the next round. */
  #processQc (qc: Certificate, from: number): boolean {
    const invalid = this.#certificates.check(qc)
    if (invalid !== null) {
      this.#reject('certificate', from, C.BAD_CERTIFICATE, invalid)
      return false
    }
    this.#safety.observeQc(qc)
    this.#safety.noteRound(qc.round + 1)
    this.#tryCommit(qc, from)
    if (this.#pacemaker.advanceByQc(qc.round)) this.#enterRound(this.round, 'qc')
    return true
  }

  #processTc (tc: TimeoutCertificate, from: number): boolean {
    const check = verifyTimeoutCertificate(this.#certificates.committee, tc, this.crypto.verify)
    if (!check.ok) {
      this.#reject('timeout-certificate', from, C.BAD_CERTIFICATE, check.reason)
      return false
    }
    this.#safety.noteRound(tc.round + 1)
    if (this.#pacemaker.advanceByTc(tc)) this.#enterRound(this.round, 'tc')
    return true
  }

  /**
   * 2-chain commit rule: a QC on block B whose parent P is from round B.round - 1 makes P
   * final, and with it every uncommitted ancestor of P.
   */
  #tryCommit (qc: Certificate, from: number): void {
    if (isGenesisQc(qc)) return
    const certified = this.#tree.block(qc.batchHash)
    if (certified === undefined) {
      if (qc.height > this.tip.height) this.#emit({ type: 'fetch', hash: qc.batchHash, from })
      return
    }
    const parent = this.#tree.block(certified.header.parentHash)
    if (parent === undefined || parent.header.round + 1 !== certified.header.round || parent.header.height <= this.tip.height) return
    const ancestry = this.#tree.ancestryOf(parent)
    if ('missing' in ancestry) {
      // An ancestor is missing: fetch it; the commit is retried when blocks arrive.
      this.#emit({ type: 'fetch', hash: ancestry.missing, from })
      return
    }
    const { chain } = ancestry
    const descendants = [...chain.map((b) => b.header), certified.header]
    const committed = chain.map((block, i) => ({ block, proof: makeCommitProof(descendants.slice(i + 1), qc) }))
    this.#emit({ type: 'commit', blocks: committed })
    this.#pacemaker.noteCommitted(chain.map((b) => b.header))
    this.#tree.advanceTip(tipOf(parent))
    this.#prune()
  }

  // ---- replica: proposals and votes ----

  #onProposal (from: number, proposal: Proposal): void {
    const { header, justify } = proposal
    const round = header.round
    let screened = this.#proposals.screen(from, proposal)
    if (!screened.ok && screened.code === C.LEADER_UNKNOWN) {
      // Its QC may commit what makes the sender the leader here too: take it, then ask again.
      if (checkProposalJustification(proposal) === null && this.#processQc(justify, from)) screened = this.#proposals.screen(from, proposal)
    }
    if (!screened.ok) return this.#reject('proposal', from, screened.code)
    const unjustified = checkProposalJustification(proposal)
    if (unjustified !== null) return this.#reject('proposal', from, unjustified)
    if (!this.#processQc(justify, from)) return
    const tc = proposal.tc[0] ?? null
    if (tc !== null && !this.#processTc(tc, from)) return
    const block: CoreBlock = { hash: screened.hash, header, justify }
    if (!this.#insertBlock(block)) {
      this.#tree.waitForParent({ from, proposal })
      this.#emit({ type: 'fetch', hash: header.parentHash, from })
      return
    }
    this.#pacemaker.noteProposal(round)
    if (round !== this.round) return // stale: this round is over for us
    const badParent = checkProposalParent(header, this.#tree.parentInfo(header.parentHash))
    if (badParent !== null) return this.#reject('proposal', from, badParent)
    if (!this.#safety.voteFor(round, justify.round, tc)) return
    const body = { height: header.height, round, batchHash: screened.hash }
    const vote: Vote = { version: 1, ...body, voter: this.config.self, signature: this.crypto.sign(voteMessage(this.config.chainId, body)) }
    this.#certificates.ownVote(body, vote.signature)
    this.#persist()
    const next = this.leaderOf(round + 1)
    const toAll = this.#votesToAll(round)
    if (toAll) this.#emit({ type: 'broadcast', message: { kind: 'vote', vote } })
    else if (next !== this.config.self) this.#emit({ type: 'send', to: next, message: { kind: 'vote', vote } })
    if (next === this.config.self || toAll) this.#onVote(this.config.self, vote)
  }

  /**
   * Whether our vote of `round` goes to every member, each forming the QC itself, rather
   * than to the next leader alone. A vote sent to a dead next leader is lost, and so is
   * the round: the chain commits nothing and its leader choice cannot learn that the
   * member is gone. In a rotation where every round is led by the dead member or sends
   * it its votes, the rounds time out one after another with the timer doubling each time
   * (1 + 2 + 4 + 8 s, issue #12's wiped-member stall), and while the chain commits
   * little, the member is judged absent late. So after a TC votes go to all for as many
   * rounds as the leader choice needs to judge a silent member absent (its window and the
   * rounds it leaves out), and from then on whenever the chain judges the next leader
   * absent: only rounds the missing member leads time out. A healthy chain has no TC:
   * its votes go to the next leader only.
   */
  #votesToAll (round: number): boolean {
    if (round <= this.#votesToAllThrough) return true
    const next = this.leaderOf(round + 1)
    return next !== this.config.self && this.excludedAt(round + 1).includes(next)
  }

  /** Adds a block whose parent is known (releasing the proposals that waited for it); false if the parent is missing. */
  #insertBlock (block: CoreBlock): boolean {
    const result = this.#tree.insert(block)
    if (!result.placed) return false
    for (const waiting of result.released) this.#release(waiting)
    return true
  }

  #release (waiting: WaitingProposal): void {
    this.#emit({ type: 'release', from: waiting.from, proposal: waiting.proposal })
  }

  #onVote (from: number, vote: Vote): void {
    const round = vote.round
    // Votes go to the leader of the next round, or to every member after a TC or when that
    // leader is judged absent (#votesToAll): any member may form the QC.
    const collector = this.leaderOf(round + 1) === this.config.self
    // [IGNORE] rounds that are over, or whose QC is formed already, need no more votes
    if (round + 1 < this.round || this.#votes.hasQc(round)) return
    // [REJECT] the voter is the member that sent it
    if (vote.voter !== from || from >= this.n) return this.#reject('vote', from, C.WRONG_SENDER)
    // No more than FUTURE_ROUND_WINDOW rounds ahead of ours, dropped silently: a vote sent
    // to all members reaches those far behind too, whoever their stale chain names leader.
    if (this.#pacemaker.isTooFarAhead(round)) return
    const verdict = this.#votes.classify(vote)
    // [REJECT] one vote per voter and round
    if (verdict === 'equivocation') return this.#reject('vote', from, C.EQUIVOCATION)
    if (verdict === 'repeat') return
    // [REJECT] signed by the voter (our own vote was signed here: nothing to verify)
    if (from !== this.config.self && !this.crypto.verify(this.config.committeeKeys[from]!, voteMessage(this.config.chainId, vote), vote.signature)) {
      return this.#reject('vote', from, C.BAD_SIGNATURE)
    }
    this.#safety.noteRound(round)
    this.#pacemaker.noteHeardFrom(from)
    const qc = this.#votes.addVote(vote)
    if (qc === null) return
    this.#certificates.remember(qc)
    this.#processQc(qc, this.config.self)
    // If no proposal follows (nothing to order), tell everyone so they commit too (a QC
    // formed from votes sent to all members forms everywhere: only the collector sends it).
    if (collector && (this.#requestedRound < this.round || this.leaderOf(this.round) !== this.config.self)) {
      this.#emit({ type: 'broadcast', message: { kind: 'certificate', certificate: qc } })
    }
  }

  // ---- pacemaker: timeouts ----

  #onTimer (round: number): void {
    this.#timerPending = false
    this.#pacemaker.noteTimerFired(round)
    if (this.#safety.recovering) {
      // Started without a safety state: listen (for the longest round timer), then never sign in the rounds seen.
      if (this.#safety.endRecovery(this.#timerDelayMs)) this.#persist()
      if (round !== this.round) return this.#armRound()
    }
    if (round !== this.round) return
    if (!this.isActive()) {
      this.#pacemaker.disarmTimer()
      return
    }
    // A fetch (or its answer) may have been lost: ask again for the first missing link.
    const missing = this.#safety.highQc.round <= this.tip.round ? null : this.#tree.missingLink(this.#safety.highQc.batchHash)
    if (missing !== null) this.#emit({ type: 'fetch', hash: missing, from: this.leaderOf(this.#safety.highQc.round) })
    this.#localTimeout()
    this.#timeOutForLaggards()
    // Keep re-sending the timeout with growing delays until the round ends. Our own
    // timeout may just have completed a TC: then the new round's timer is already set,
    // and a driver keeps one timer, so re-arming the old round here would replace it.
    if (this.round === round) this.#setTimer(this.#pacemaker.timeoutDelay())
  }

  #setTimer (delayMs: number): void {
    this.#timerDelayMs = delayMs
    this.#timerPending = true
    this.#emit({ type: 'setTimer', round: this.round, delayMs })
  }

  #localTimeout (): void {
    const round = this.round
    const tc = this.#pacemaker.lastRoundTc
    if (!this.#safety.timeoutFor(round, tc)) return
    const qc = this.#safety.highQc
    const signature = this.crypto.sign(timeoutMessage(this.config.chainId, round, qc.round))
    const timeout: Timeout = { version: 1, round, highQc: qc, voter: this.config.self, signature }
    this.#persist()
    this.#emit({ type: 'broadcast', message: { kind: 'timeout', timeout } })
    if (tc !== null && tc.round === round - 1) {
      this.#emit({ type: 'broadcast', message: { kind: 'certificate', certificate: qc } })
      // A TC travels only inside the next leader's proposal: members that missed it (or
      // restarted) would stay in an older round for good. Relay the signed timeouts that
      // formed it, so they can assemble the TC themselves and catch up.
      for (const t of this.#votes.timeoutsOf(tc.round)) this.#emit({ type: 'broadcast', message: { kind: 'timeout', timeout: t } })
    }
    this.#onTimeout(this.config.self, timeout)
  }

  /** A timeout from its voter, or relayed by another member (the voter's signature is what counts). */
  #onTimeout (from: number, timeout: Timeout): void {
    const voter = timeout.voter
    // [REJECT] the voter and the sender are members
    if (voter >= this.n || from >= this.n) return this.#reject('timeout', from, C.NOT_A_MEMBER)
    // [REJECT] its high QC is from an earlier round than the timeout
    if (timeout.highQc.round >= timeout.round) return this.#reject('timeout', from, C.TIMEOUT_QC_NOT_BELOW_ROUND)
    if (from !== this.config.self) {
      const message = timeoutMessage(this.config.chainId, timeout.round, timeout.highQc.round)
      // [REJECT] signed by its voter
      if (!this.crypto.verify(this.config.committeeKeys[voter]!, message, timeout.signature)) return this.#reject('timeout', from, C.BAD_SIGNATURE)
      // its high QC may carry us forward, however far ahead the timeout's round is
      if (!this.#processQc(timeout.highQc, from)) return
    }
    // its own timeout, even of a round we left: it is alive (pacemaker.ts, probe timers)
    if (voter === from) this.#pacemaker.noteHeardFrom(from)
    const round = timeout.round
    if (round < this.round) {
      // The voter itself is still in an older round: send it what ended that round for us.
      if (voter === from && from !== this.config.self) this.#helpLaggard(from, round)
      if (voter === from) this.#pacemaker.noteLaggingRound(round)
      return
    }
    // [IGNORE] no more than FUTURE_ROUND_WINDOW rounds ahead of ours
    if (this.#pacemaker.isTooFarAhead(round)) return this.#reject('timeout', from, C.FUTURE_ROUND)
    if (from !== this.config.self) this.#safety.noteRound(round)
    const count = this.#votes.addTimeout(timeout)
    if (count === null) return
    const f = this.n - this.quorum
    // Bracha-style amplification: f+1 timeouts mean at least one honest member gave up.
    if (count === f + 1 && round === this.round && !this.#votes.hasTimeoutFrom(round, this.config.self)) this.#localTimeout()
    if (count >= this.quorum && this.#pacemaker.advanceByTc(this.#votes.timeoutCertificate(round))) this.#enterRound(this.round, 'tc')
  }

  /**
   * Members stuck in a round we have left, with nothing from us that ends it (their TC
   * reached us inside a proposal, so we cannot relay its timeouts, or the member that
   * formed it crashed), can be one timeout short of a TC for good. On our timer, add our
   * timeout to each such round. Safe as any timeout: it carries our high QC (at least as
   * high as any QC we voted on) and, with highestVoteRound raised and persisted first, we
   * vote in none of those rounds again. Sent on the timer, not in reply, so two members
   * can never answer each other's timeouts forever.
   */
  #timeOutForLaggards (): void {
    const qc = this.#safety.highQc
    const rounds = this.#pacemaker.takeLaggingRounds(qc.round)
    if (rounds.length === 0 || this.#safety.recovering) return
    // As for any timeout: never vote in these rounds, even after a restart that lands us in one.
    if (this.#safety.abstainThrough(Math.max(...rounds))) this.#persist()
    for (const round of rounds) {
      const signature = this.crypto.sign(timeoutMessage(this.config.chainId, round, qc.round))
      const timeout: Timeout = { version: 1, round, highQc: qc, voter: this.config.self, signature }
      this.#emit({ type: 'broadcast', message: { kind: 'timeout', timeout } })
    }
  }

  /**
   * Round sync for a member stuck in `round`: our high QC if it ends that round, and the
   * signed timeouts behind our last TC (not our own: a relayed copy of our own timeout
   * would look like a laggard's and be answered in turn, back and forth).
   */
  #helpLaggard (to: number, round: number): void {
    const qc = this.#safety.highQc
    if (qc.round >= round) this.#emit({ type: 'send', to, message: { kind: 'certificate', certificate: qc } })
    const tc = this.#pacemaker.lastRoundTc
    if (tc === null || tc.round < round) return
    for (const t of this.#votes.timeoutsOf(tc.round)) {
      if (t.voter !== this.config.self) this.#emit({ type: 'send', to, message: { kind: 'timeout', timeout: t } })
    }
  }

  // ---- blocks fetched from peers, and catch-up ----

  #onBlocks (blocks: CoreBlock[]): void {
    const sorted = [...blocks].sort((a, b) => a.header.height - b.header.height)
    for (const block of sorted) {
      if (!equalBytes(this.crypto.batchHash(block.header), block.hash)) continue
      // A fetched block is trusted through the QC that certifies it (its child's justify or ours).
      this.#insertBlock(block)
      this.#processQc(block.justify, this.leaderOf(block.header.round))
    }
    this.#tryCommit(this.#safety.highQc, this.leaderOf(this.#safety.highQc.round))
    this.#armRound()
  }

  #onSynced (tip: CommittedTip, headers: readonly CommittedLeader[]): void {
    if (tip.height <= this.tip.height) return
    this.#safety.noteRound(tip.round + 1)
    this.#pacemaker.noteCommitted(headers)
    this.#tree.advanceTip(tip)
    if (this.#pacemaker.advancePastTip(tip.round)) this.#enterRound(this.round, 'qc')
    this.#prune()
    this.#armRound()
  }

  #prune (): void {
    this.#tree.prune()
    this.#votes.prune(this.round - 2)
  }
}
