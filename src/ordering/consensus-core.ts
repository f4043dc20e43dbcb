/**
 * Chained two-phase HotStuff as in Jolteon (Gelashvili et al., "Jolteon and Ditto", FC 2022)
 * and DiemBFT v4 (Diem team, 2021), as a deterministic state machine: no I/O, no clock, no
 * randomness. `step(event)` returns actions for the driver (persist, send, set a timer,
 * build a proposal, commit, fetch). The rules, as implemented here, are in docs/PROTOCOL.md.
 *
 * The driver validates a proposal's payload (chunks present, payload root) before handing
 * it in; everything about rounds, certificates, votes and timeouts is checked here.
 */
import type { BatchHeader, Certificate, CommitProof, Proposal, Timeout, TimeoutCertificate, Vote } from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { assembleCertificate, quorumOf, verifyCertificate, voteMessage, type VerifySignature } from './certificate.js'
import { makeCommitProof } from './commit-proof.js'
import { proposalMessage, timeoutMessage } from './signing.js'
import { assembleTimeoutCertificate, maxHighQcRound, verifyTimeoutCertificate } from './timeout-certificate.js'

export const ZERO_HASH = new Uint8Array(32)

/** The certificate of the virtual genesis block (round 0, hash zero) that the first batch extends. */
export const GENESIS_QC: Certificate = { version: 1, height: 0, round: 0, batchHash: ZERO_HASH, signers: new Uint8Array(0), signatures: [] }

export function isGenesisQc (qc: Certificate): boolean {
  return qc.round === 0 && equalBytes(qc.batchHash, ZERO_HASH)
}

function sameSignatures (a: Certificate, b: Certificate): boolean {
  return equalBytes(a.signers, b.signers) && a.signatures.length === b.signatures.length && a.signatures.every((sig, i) => equalBytes(sig, b.signatures[i]!))
}

export interface CoreConfig {
  chainId: string
  committeeKeys: Uint8Array[]
  self: number
  /** first round timeout; doubles with each consecutive timed-out round */
  baseTimeoutMs: number
  maxTimeoutMs: number
}

export interface CoreCrypto {
  sign: (message: Uint8Array) => Uint8Array
  verify: VerifySignature
  batchHash: (header: BatchHeader) => Uint8Array
}

/** What must be on disk (sync: true) before any vote, timeout or proposal leaves the node. */
export interface SafetyState {
  highestVoteRound: number
  highestQcRound: number
  lastProposedRound: number
  highQc: Certificate
}

export interface CoreBlock {
  hash: Uint8Array
  header: BatchHeader
  justify: Certificate
}

export interface CommittedTip {
  hash: Uint8Array
  height: number
  round: number
  timestamp: number
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
  | { type: 'synced', tip: CommittedTip }

export type CoreAction =
  | { type: 'persist', safety: SafetyState }
  | { type: 'send', to: number, message: ConsensusMessage }
  | { type: 'broadcast', message: ConsensusMessage }
  | { type: 'setTimer', round: number, delayMs: number }
  | { type: 'buildProposal', round: number, parent: CommittedTip, justify: Certificate, tc: TimeoutCertificate | null }
  | { type: 'commit', blocks: Array<{ block: CoreBlock, proof: CommitProof }> }
  | { type: 'fetch', hash: Uint8Array, from: number }
  | { type: 'enterRound', round: number, leader: number, via: 'qc' | 'tc' | 'start' }
  | { type: 'reject', kind: string, from: number, reason: string }

const MAX_BUFFERED_PROPOSALS = 64
const MAX_LAGGING_ROUNDS = 16

export class ConsensusCore {
  readonly n: number
  readonly quorum: number
  #round = 1
  #lastRoundTc: TimeoutCertificate | null = null
  #safety: SafetyState
  #tip: CommittedTip
  #pendingWork = false
  #requestedRound = 0
  #timerRound = 0
  #consecutiveTimeouts = 0
  readonly #blocks = new Map<string, CoreBlock>()
  /** certificates whose signatures were checked, by vote body */
  readonly #verified = new Map<string, Certificate>()
  readonly #votes = new Map<number, Map<string, Map<number, Uint8Array>>>()
  readonly #voters = new Map<number, Map<number, string>>()
  readonly #formedQc = new Set<number>()
  readonly #timeouts = new Map<number, Map<number, { highQcRound: number, signature: Uint8Array, timeout: Timeout }>>()
  readonly #buffered = new Map<string, Array<{ from: number, proposal: Proposal }>>()
  /** rounds below ours that members told us (by their timeouts) they are stuck in */
  readonly #laggingRounds = new Set<number>()
  #actions: CoreAction[] = []

  constructor (readonly config: CoreConfig, readonly crypto: CoreCrypto, restored: { safety: SafetyState | null, tip: CommittedTip | null }) {
    this.n = config.committeeKeys.length
    this.quorum = quorumOf(this.n)
    this.#safety = restored.safety ?? { highestVoteRound: 0, highestQcRound: 0, lastProposedRound: 0, highQc: GENESIS_QC }
    this.#tip = restored.tip ?? { hash: ZERO_HASH, height: -1, round: 0, timestamp: 0 }
    this.#round = Math.max(this.#safety.highQc.round + 1, this.#tip.round + 1, 1)
  }

  leaderOf (round: number): number {
    return round % this.n
  }

  get round (): number { return this.#round }
  get safety (): Readonly<SafetyState> { return this.#safety }
  get tip (): Readonly<CommittedTip> { return this.#tip }
  get highQc (): Certificate { return this.#safety.highQc }

  /** Uncommitted blocks from the committed tip up to the high QC's block (oldest first); null if a link is missing. */
  certifiedChain (): CoreBlock[] | null {
    const out: CoreBlock[] = []
    let hash = this.#safety.highQc.batchHash
    while (!equalBytes(hash, this.#tip.hash)) {
      const block = this.#blocks.get(bytesToHex(hash))
      if (block === undefined || block.header.height <= this.#tip.height) return null
      out.push(block)
      hash = block.header.parentHash
    }
    return out.reverse()
  }

  /** Whether anything waits to be ordered or finalised (a leader proposes only then). */
  isActive (): boolean {
    return this.#active()
  }

  /** The first unknown block between the high QC and the committed tip, if any. */
  #missingLink (): Uint8Array | null {
    if (this.#safety.highQc.round <= this.#tip.round) return null
    let hash = this.#safety.highQc.batchHash
    while (!equalBytes(hash, this.#tip.hash)) {
      const block = this.#blocks.get(bytesToHex(hash))
      if (block === undefined) return hash
      if (block.header.height <= this.#tip.height) return null
      hash = block.header.parentHash
    }
    return null
  }

  block (hash: Uint8Array): CoreBlock | undefined {
    return this.#blocks.get(bytesToHex(hash))
  }

  step (event: CoreEvent): CoreAction[] {
    this.#actions = []
    switch (event.type) {
      case 'start': this.#enterRound(this.#round, 'start'); break
      case 'proposal': this.#onProposal(event.from, event.proposal); break
      case 'vote': this.#onVote(event.from, event.vote); break
      case 'timeout': this.#onTimeout(event.from, event.timeout); break
      case 'certificate': this.#onCertificate(event.from, event.certificate); break
      case 'timer': this.#onTimer(event.round); break
      case 'work': this.#onWork(event.pending); break
      case 'proposalBuilt': this.#onProposalBuilt(event.round, event.header); break
      case 'proposalDeclined': if (this.#requestedRound === event.round) this.#requestedRound = event.round - 1; break
      case 'blocks': this.#onBlocks(event.blocks); break
      case 'synced': this.#onSynced(event.tip); break
    }
    const actions = this.#actions
    this.#actions = []
    return actions
  }

  #emit (action: CoreAction): void {
    this.#actions.push(action)
  }

  #reject (kind: string, from: number, reason: string): void {
    this.#emit({ type: 'reject', kind, from, reason })
  }

  // ---- activity: the chain idles when nothing waits to be ordered or finalised ----

  #active (): boolean {
    if (this.#pendingWork) return true
    const chain = this.certifiedChain()
    return chain === null || chain.some((b) => b.header.txCount > 0)
  }

  #onWork (pending: boolean): void {
    this.#pendingWork = pending
    this.#armRound()
  }

  /** Arms the round timer and, as leader, asks for a proposal, if there is anything to do. */
  #armRound (): void {
    if (!this.#active()) return
    if (this.#timerRound !== this.#round) {
      this.#timerRound = this.#round
      this.#emit({ type: 'setTimer', round: this.#round, delayMs: this.#timeoutFor() })
    }
    this.#maybePropose()
  }

  #timeoutFor (): number {
    return Math.min(this.config.maxTimeoutMs, this.config.baseTimeoutMs * 2 ** Math.min(this.#consecutiveTimeouts, 16))
  }

  #enterRound (round: number, via: 'qc' | 'tc' | 'start'): void {
    this.#round = round
    this.#emit({ type: 'enterRound', round, leader: this.leaderOf(round), via })
    this.#prune()
    this.#armRound()
  }

  // ---- leader ----

  #maybePropose (): void {
    const round = this.#round
    if (this.leaderOf(round) !== this.config.self) return
    if (this.#requestedRound >= round || this.#safety.lastProposedRound >= round) return
    if (!this.#active()) return
    const parent = this.#parentForProposal()
    if (parent === null) return
    const tc = this.#lastRoundTc !== null && this.#lastRoundTc.round === round - 1 ? this.#lastRoundTc : null
    if (tc === null && this.#safety.highQc.round !== round - 1) return // cannot justify a proposal in this round
    this.#requestedRound = round
    this.#emit({ type: 'buildProposal', round, parent, justify: this.#safety.highQc, tc })
  }

  #parentForProposal (): CommittedTip | null {
    const qc = this.#safety.highQc
    if (isGenesisQc(qc)) return { hash: ZERO_HASH, height: -1, round: 0, timestamp: 0 }
    if (equalBytes(qc.batchHash, this.#tip.hash)) return this.#tip
    const block = this.#blocks.get(bytesToHex(qc.batchHash))
    if (block === undefined) {
      this.#emit({ type: 'fetch', hash: qc.batchHash, from: this.leaderOf(qc.round) })
      return null
    }
    return { hash: block.hash, height: block.header.height, round: block.header.round, timestamp: block.header.timestamp }
  }

  #onProposalBuilt (round: number, header: BatchHeader): void {
    if (round !== this.#round || this.leaderOf(round) !== this.config.self || this.#safety.lastProposedRound >= round) return
    if (!equalBytes(header.parentHash, this.#safety.highQc.batchHash)) {
      // A higher QC arrived while the payload was being built: build again on its block.
      this.#requestedRound = 0
      this.#maybePropose()
      return
    }
    const hash = this.crypto.batchHash(header)
    const tc = this.#lastRoundTc !== null && this.#lastRoundTc.round === round - 1 ? [this.#lastRoundTc] : []
    const proposal: Proposal = {
      version: 1,
      header,
      justify: this.#safety.highQc,
      tc,
      signature: this.crypto.sign(proposalMessage(this.config.chainId, hash))
    }
    this.#safety = { ...this.#safety, lastProposedRound: round }
    this.#emit({ type: 'persist', safety: this.#safety })
    this.#emit({ type: 'broadcast', message: { kind: 'proposal', proposal } })
    this.#onProposal(this.config.self, proposal)
  }

  // ---- certificates ----

  #qcKnownValid (qc: Certificate, from: number): boolean {
    if (isGenesisQc(qc)) return true
    const key = `${bytesToHex(qc.batchHash)}/${qc.round}/${qc.height}`
    // The key names the vote body only: a copy with other signatures (forged, say) must be checked itself.
    const known = this.#verified.get(key)
    if (known !== undefined && sameSignatures(known, qc)) return true
    const check = verifyCertificate({ chainId: this.config.chainId, committeeKeys: this.config.committeeKeys }, qc, this.crypto.verify)
    if (!check.ok) {
      this.#reject('certificate', from, check.reason)
      return false
    }
    this.#verified.set(key, qc)
    return true
  }

  /** A valid QC: raise the high QC, apply the commit rule, enter the next round. */
  #processQc (qc: Certificate, from: number): boolean {
    if (!this.#qcKnownValid(qc, from)) return false
    if (qc.round > this.#safety.highQc.round) this.#safety = { ...this.#safety, highQc: qc }
    this.#tryCommit(qc, from)
    if (qc.round + 1 > this.#round) {
      this.#lastRoundTc = null
      this.#consecutiveTimeouts = 0
      this.#enterRound(qc.round + 1, 'qc')
    }
    return true
  }

  #processTc (tc: TimeoutCertificate, from: number): boolean {
    const check = verifyTimeoutCertificate({ chainId: this.config.chainId, committeeKeys: this.config.committeeKeys }, tc, this.crypto.verify)
    if (!check.ok) {
      this.#reject('timeout-certificate', from, check.reason)
      return false
    }
    if (tc.round + 1 > this.#round) {
      this.#lastRoundTc = tc
      this.#consecutiveTimeouts++
      this.#enterRound(tc.round + 1, 'tc')
    }
    return true
  }

  #onCertificate (from: number, qc: Certificate): void {
    this.#processQc(qc, from)
  }

  /**
   * 2-chain commit rule: a QC on block B whose parent P is from round B.round - 1 makes P
   * final, and with it every uncommitted ancestor of P.
   */
  #tryCommit (qc: Certificate, from: number): void {
    if (isGenesisQc(qc)) return
    const certified = this.#blocks.get(bytesToHex(qc.batchHash))
    if (certified === undefined) {
      if (qc.height > this.#tip.height) this.#emit({ type: 'fetch', hash: qc.batchHash, from })
      return
    }
    const parent = this.#blocks.get(bytesToHex(certified.header.parentHash))
    if (parent === undefined || parent.header.round + 1 !== certified.header.round || parent.header.height <= this.#tip.height) return
    const chain: CoreBlock[] = []
    let cursor: CoreBlock | undefined = parent
    while (cursor !== undefined && !equalBytes(cursor.hash, this.#tip.hash)) {
      chain.push(cursor)
      if (equalBytes(cursor.header.parentHash, this.#tip.hash)) break
      cursor = this.#blocks.get(bytesToHex(cursor.header.parentHash))
    }
    const oldest = chain[chain.length - 1]
    if (oldest === undefined || !equalBytes(oldest.header.parentHash, this.#tip.hash)) {
      // An ancestor is missing: fetch it; the commit is retried when blocks arrive.
      this.#emit({ type: 'fetch', hash: (oldest ?? parent).header.parentHash, from })
      return
    }
    chain.reverse()
    const descendants = [...chain.map((b) => b.header), certified.header]
    const committed = chain.map((block, i) => ({ block, proof: makeCommitProof(descendants.slice(i + 1), qc) }))
    this.#emit({ type: 'commit', blocks: committed })
    this.#tip = { hash: parent.hash, height: parent.header.height, round: parent.header.round, timestamp: parent.header.timestamp }
    this.#prune()
  }

  // ---- replica: proposals and votes ----

  #onProposal (from: number, proposal: Proposal): void {
    const { header, justify } = proposal
    const round = header.round
    const leader = this.leaderOf(round)
    // [REJECT] the sender is the leader of the proposal's round, and so is the header's proposer
    if (from !== leader || header.proposer !== leader) return this.#reject('proposal', from, 'not from the leader of its round')
    if (header.chainId !== this.config.chainId) return this.#reject('proposal', from, 'wrong chain id')
    const hash = this.crypto.batchHash(header)
    // [REJECT] signed by the leader
    if (!this.crypto.verify(this.config.committeeKeys[leader]!, proposalMessage(this.config.chainId, hash), proposal.signature)) {
      return this.#reject('proposal', from, 'bad proposal signature')
    }
    // [REJECT] extends the block its QC certifies, one height above it, in a later round
    const expectedHeight = isGenesisQc(justify) ? 0 : justify.height + 1
    if (!equalBytes(header.parentHash, justify.batchHash) || header.height !== expectedHeight || round <= justify.round) {
      return this.#reject('proposal', from, 'header does not extend its QC')
    }
    if (!this.#processQc(justify, from)) return
    const tc = proposal.tc[0] ?? null
    if (tc !== null) {
      if (tc.round !== round - 1) return this.#reject('proposal', from, 'TC is not for the previous round')
      if (!this.#processTc(tc, from)) return
    }
    const block: CoreBlock = { hash, header, justify }
    if (!this.#insertBlock(block)) {
      this.#bufferProposal(from, proposal)
      this.#emit({ type: 'fetch', hash: header.parentHash, from })
      return
    }
    if (round !== this.#round) return // stale: this round is over for us
    const parent = this.#parentInfo(header.parentHash)
    // [REJECT] extends the committed chain: a parent below the committed tip is pruned (or conflicts with it)
    if (parent === null) return this.#reject('proposal', from, 'extends a block below the committed tip')
    if (header.timestamp < parent.timestamp) return this.#reject('proposal', from, 'timestamp before its parent')
    if (!this.#safeToVote(round, justify.round, tc)) return
    this.#safety = {
      ...this.#safety,
      highestVoteRound: round,
      highestQcRound: Math.max(this.#safety.highestQcRound, justify.round)
    }
    const body = { height: header.height, round, batchHash: hash }
    const vote: Vote = { version: 1, ...body, voter: this.config.self, signature: this.crypto.sign(voteMessage(this.config.chainId, body)) }
    this.#emit({ type: 'persist', safety: this.#safety })
    const next = this.leaderOf(round + 1)
    if (next === this.config.self) this.#onVote(this.config.self, vote)
    else this.#emit({ type: 'send', to: next, message: { kind: 'vote', vote } })
  }

  /** DiemBFT v4 safe_to_vote. */
  #safeToVote (round: number, qcRound: number, tc: TimeoutCertificate | null): boolean {
    if (round <= Math.max(this.#safety.highestVoteRound, qcRound)) return false
    if (round === qcRound + 1) return true
    return tc !== null && round === tc.round + 1 && qcRound >= maxHighQcRound(tc)
  }

  #parentInfo (parentHash: Uint8Array): CommittedTip | null {
    if (equalBytes(parentHash, this.#tip.hash)) return this.#tip
    const b = this.#blocks.get(bytesToHex(parentHash))
    return b === undefined ? null : { hash: b.hash, height: b.header.height, round: b.header.round, timestamp: b.header.timestamp }
  }

  /** Adds a block whose parent is known; false if the parent is missing. */
  #insertBlock (block: CoreBlock): boolean {
    const key = bytesToHex(block.hash)
    if (this.#blocks.has(key)) return true
    if (block.header.height <= this.#tip.height) return true // already final (or conflicting with final: never used)
    if (this.#parentInfo(block.header.parentHash) === null) return false
    this.#blocks.set(key, block)
    const waiting = this.#buffered.get(key)
    if (waiting !== undefined) {
      this.#buffered.delete(key)
      for (const p of waiting) this.#onProposal(p.from, p.proposal)
    }
    return true
  }

  #bufferProposal (from: number, proposal: Proposal): void {
    const key = bytesToHex(proposal.header.parentHash)
    const list = this.#buffered.get(key) ?? []
    if (list.length >= 4) return
    if (this.#buffered.size >= MAX_BUFFERED_PROPOSALS && !this.#buffered.has(key)) return
    list.push({ from, proposal })
    this.#buffered.set(key, list)
  }

  #onVote (from: number, vote: Vote): void {
    const round = vote.round
    // [IGNORE] votes go to the leader of the next round, and only recent rounds matter
    if (this.leaderOf(round + 1) !== this.config.self) return this.#reject('vote', from, 'not the next leader for this round')
    if (round + 1 < this.#round || this.#formedQc.has(round)) return
    if (vote.voter !== from || from >= this.n) return this.#reject('vote', from, 'voter is not the sender')
    const hashHex = `${bytesToHex(vote.batchHash)}/${vote.height}`
    const voters = this.#voters.get(round) ?? new Map<number, string>()
    const earlier = voters.get(from)
    if (earlier !== undefined) {
      if (earlier !== hashHex) this.#reject('vote', from, 'double vote in one round')
      return
    }
    // [REJECT] signed by the voter
    if (!this.crypto.verify(this.config.committeeKeys[from]!, voteMessage(this.config.chainId, vote), vote.signature)) {
      return this.#reject('vote', from, 'bad vote signature')
    }
    voters.set(from, hashHex)
    this.#voters.set(round, voters)
    const byHash = this.#votes.get(round) ?? new Map<string, Map<number, Uint8Array>>()
    const sigs = byHash.get(hashHex) ?? new Map<number, Uint8Array>()
    sigs.set(from, vote.signature)
    byHash.set(hashHex, sigs)
    this.#votes.set(round, byHash)
    if (sigs.size < this.quorum) return
    this.#formedQc.add(round)
    const qc = assembleCertificate(this.n, { height: vote.height, round, batchHash: vote.batchHash }, sigs)
    this.#verified.set(`${bytesToHex(vote.batchHash)}/${round}/${vote.height}`, qc)
    this.#processQc(qc, this.config.self)
    // If no proposal follows (nothing to order), tell everyone so they commit too.
    if (this.#requestedRound < this.#round || this.leaderOf(this.#round) !== this.config.self) {
      this.#emit({ type: 'broadcast', message: { kind: 'certificate', certificate: qc } })
    }
  }

  // ---- pacemaker: timeouts ----

  #onTimer (round: number): void {
    if (round !== this.#round) return
    if (!this.#active()) {
      this.#timerRound = 0 // re-armed when work arrives
      return
    }
    // A fetch (or its answer) may have been lost: ask again for the first missing link.
    const missing = this.#missingLink()
    if (missing !== null) this.#emit({ type: 'fetch', hash: missing, from: this.leaderOf(this.#safety.highQc.round) })
    this.#localTimeout()
    this.#timeOutForLaggards()
    // Keep re-sending the timeout with growing delays until the round ends. Our own
    // timeout may just have completed a TC: then the new round's timer is already set,
    // and a driver keeps one timer, so re-arming the old round here would replace it.
    if (this.#round === round) this.#emit({ type: 'setTimer', round, delayMs: this.#timeoutFor() })
  }

  #localTimeout (): void {
    const round = this.#round
    const qcRound = this.#safety.highQc.round
    const tc = this.#lastRoundTc
    // DiemBFT v4 safe_to_timeout, without `round > highestVoteRound - 1`: the round only
    // falls behind the highest vote round after a restart (the TCs that carried us there
    // are not persisted), and unless we may sign its timeout again the committee can be
    // one timeout short for good. Safe: the timeout still reports a QC at least as high as
    // any we voted on, and highestVoteRound never decreases, so no later vote is affected.
    const consecutive = round === qcRound + 1 || (tc !== null && round === tc.round + 1)
    if (qcRound < this.#safety.highestQcRound || round <= qcRound || !consecutive) return
    this.#safety = { ...this.#safety, highestVoteRound: Math.max(this.#safety.highestVoteRound, round) }
    const signature = this.crypto.sign(timeoutMessage(this.config.chainId, round, qcRound))
    const timeout: Timeout = { version: 1, round, highQc: this.#safety.highQc, voter: this.config.self, signature }
    this.#emit({ type: 'persist', safety: this.#safety })
    this.#emit({ type: 'broadcast', message: { kind: 'timeout', timeout } })
    if (tc !== null && tc.round === round - 1) {
      this.#emit({ type: 'broadcast', message: { kind: 'certificate', certificate: this.#safety.highQc } })
      // A TC travels only inside the next leader's proposal: members that missed it (or
      // restarted) would stay in an older round for good. Relay the signed timeouts that
      // formed it, so they can assemble the TC themselves and catch up.
      for (const t of this.#timeouts.get(tc.round)?.values() ?? []) this.#emit({ type: 'broadcast', message: { kind: 'timeout', timeout: t.timeout } })
    }
    this.#onTimeout(this.config.self, timeout)
  }

  /** A timeout from its voter, or relayed by another member (the voter's signature is what counts). */
  #onTimeout (from: number, timeout: Timeout): void {
    const voter = timeout.voter
    if (voter >= this.n || from >= this.n) return this.#reject('timeout', from, 'voter is not a member')
    if (timeout.highQc.round >= timeout.round) return this.#reject('timeout', from, 'high QC not below the round')
    if (from !== this.config.self) {
      const message = timeoutMessage(this.config.chainId, timeout.round, timeout.highQc.round)
      if (!this.crypto.verify(this.config.committeeKeys[voter]!, message, timeout.signature)) return this.#reject('timeout', from, 'bad timeout signature')
      if (!this.#processQc(timeout.highQc, from)) return
    }
    const round = timeout.round
    if (round < this.#round) {
      // The voter itself is still in an older round: send it what ended that round for us.
      if (voter === from && from !== this.config.self) this.#helpLaggard(from, round)
      if (voter === from && this.#laggingRounds.size < MAX_LAGGING_ROUNDS) this.#laggingRounds.add(round)
      return
    }
    const received = this.#timeouts.get(round) ?? new Map<number, { highQcRound: number, signature: Uint8Array, timeout: Timeout }>()
    if (received.has(voter)) return
    received.set(voter, { highQcRound: timeout.highQc.round, signature: timeout.signature, timeout })
    this.#timeouts.set(round, received)
    const f = this.n - this.quorum
    // Bracha-style amplification: f+1 timeouts mean at least one honest member gave up.
    if (received.size === f + 1 && round === this.#round && !received.has(this.config.self)) this.#localTimeout()
    if (received.size >= this.quorum && round >= this.#round) {
      const tc = assembleTimeoutCertificate(this.n, round, received)
      this.#lastRoundTc = tc
      this.#consecutiveTimeouts++
      this.#enterRound(round + 1, 'tc')
    }
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
    const rounds = [...this.#laggingRounds].filter((r) => r > qc.round && r < this.#round)
    this.#laggingRounds.clear()
    if (rounds.length === 0) return
    // As for any timeout: never vote in these rounds, even after a restart that lands us in one.
    const highest = Math.max(...rounds)
    if (highest > this.#safety.highestVoteRound) {
      this.#safety = { ...this.#safety, highestVoteRound: highest }
      this.#emit({ type: 'persist', safety: this.#safety })
    }
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
    if (this.#safety.highQc.round >= round) this.#emit({ type: 'send', to, message: { kind: 'certificate', certificate: this.#safety.highQc } })
    const tc = this.#lastRoundTc
    if (tc === null || tc.round < round) return
    for (const t of this.#timeouts.get(tc.round)?.values() ?? []) {
      if (t.timeout.voter !== this.config.self) this.#emit({ type: 'send', to, message: { kind: 'timeout', timeout: t.timeout } })
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

  #onSynced (tip: CommittedTip): void {
    if (tip.height <= this.#tip.height) return
    this.#tip = tip
    if (tip.round + 1 > this.#round) this.#enterRound(tip.round + 1, 'qc')
    this.#prune()
    this.#armRound()
  }

  #prune (): void {
    for (const [key, block] of this.#blocks) {
      if (block.header.height < this.#tip.height) this.#blocks.delete(key)
    }
    const floor = this.#round - 2
    for (const map of [this.#votes, this.#voters, this.#timeouts]) {
      for (const r of map.keys()) if (r < floor) map.delete(r)
    }
    for (const r of this.#formedQc) if (r < floor) this.#formedQc.delete(r)
    if (this.#verified.size > 10_000) this.#verified.clear()
  }
}
