/**
 * Byzantine replicas. Each runs a real ConsensusCore behind the same driver as an honest
 * replica (so it stays plausible: right rounds, real blocks) and this layer rewrites what
 * leaves it, with its own valid key where a signature must pass:
 * - equivocate: as leader, a second header for the same round to half of the peers;
 * - doubleVote: a second signed vote in the round, for another block (seen or made up);
 * - unknownVote: its votes name a random batch hash;
 * - badSignature: random 64-byte signatures on votes, proposals and timeouts, and a
 *   forged signature in copies of real certificates it passes on;
 * - replay: re-sends old captured messages (its own and others') at random times;
 * - staleProposal: as leader, proposes on an old certificate in the current round;
 * - forkAttack: as leader after a timed-out round, proposes with the real TC on the
 *   certificate just below its highest (a sibling of the latest certified block, which
 *   a replica may have committed): what the TC's high-QC rule forbids honest votes for;
 * - futureTimeout: signs timeouts for rounds ahead of its own;
 * - badFetch: answers block fetches with blocks whose certificate was swapped or whose
 *   header was altered;
 * - silent: nothing leaves it at all.
 */
import type { BatchHeader, Certificate, Proposal, Timeout, Vote } from '../../src/codec/index.js'
import { bytesToHex } from '../../src/crypto/index.js'
import { voteMessage } from '../../src/ordering/certificate.js'
import type { ConsensusMessage, CoreBlock } from '../../src/ordering/consensus-core.js'
import { proposalMessage, timeoutMessage } from '../../src/ordering/signing.js'
import type { Prng } from './prng.js'

export const BYZANTINE_BEHAVIOURS = [
  'silent', 'equivocate', 'doubleVote', 'unknownVote', 'badSignature', 'replay', 'staleProposal', 'forkAttack', 'futureTimeout', 'badFetch'
] as const
export type ByzantineBehaviour = typeof BYZANTINE_BEHAVIOURS[number]

export interface ByzantineSpec {
  id: number
  behaviours: ByzantineBehaviour[]
}

export interface Outgoing {
  to: number
  message: ConsensusMessage
}

interface Context {
  n: number
  chainId: string
  sign: (message: Uint8Array) => Uint8Array
  batchHash: (header: BatchHeader) => Uint8Array
  leaderOf: (round: number) => number
}

const MAX_CAPTURED = 64

export class Byzantine {
  readonly behaviours: ReadonlySet<ByzantineBehaviour>
  /** how many messages each behaviour changed or added (for the run summary) */
  readonly counts = new Map<ByzantineBehaviour, number>()
  readonly #captured: ConsensusMessage[] = []
  readonly #certificates: Certificate[] = []
  /** blocks proposed per round that this replica has seen: for votes on a conflicting block */
  readonly #proposed = new Map<number, Array<{ hash: Uint8Array, height: number }>>()
  #forked: { round: number, hash: string } | null = null

  constructor (readonly id: number, behaviours: readonly ByzantineBehaviour[], readonly rng: Prng, readonly ctx: Context) {
    this.behaviours = new Set(behaviours)
  }

  get silent (): boolean { return this.behaviours.has('silent') }

  #count (b: ByzantineBehaviour): void {
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1)
  }

  #capture (message: ConsensusMessage): void {
    if (this.#captured.length >= MAX_CAPTURED) this.#captured.splice(this.rng.int(0, MAX_CAPTURED - 1), 1)
    this.#captured.push(message)
    const cert = message.kind === 'proposal' ? message.proposal.justify : message.kind === 'timeout' ? message.timeout.highQc : message.kind === 'certificate' ? message.certificate : null
    if (cert !== null && cert.round > 0) {
      if (this.#certificates.length >= MAX_CAPTURED) this.#certificates.shift()
      this.#certificates.push(cert)
    }
    if (message.kind === 'proposal') {
      const h = message.proposal.header
      const list = this.#proposed.get(h.round) ?? []
      if (list.length < 4) list.push({ hash: this.ctx.batchHash(h), height: h.height })
      this.#proposed.set(h.round, list)
      if (this.#proposed.size > 256) this.#proposed.delete(this.#proposed.keys().next().value as number)
    }
  }

  observeIncoming (message: ConsensusMessage): void {
    this.#capture(message)
  }

  #peers (): number[] {
    const out: number[] = []
    for (let i = 0; i < this.ctx.n; i++) if (i !== this.id) out.push(i)
    return out
  }

  #signVote (body: { height: number, round: number, batchHash: Uint8Array }): Vote {
    return { version: 1, ...body, voter: this.id, signature: this.ctx.sign(voteMessage(this.ctx.chainId, body)) }
  }

  #signProposal (header: BatchHeader, justify: Certificate, tc: Proposal['tc']): Proposal {
    const hash = this.ctx.batchHash(header)
    return { version: 1, header, justify, tc, signature: this.ctx.sign(proposalMessage(this.ctx.chainId, hash)) }
  }

  #badSignature (message: ConsensusMessage): ConsensusMessage {
    this.#count('badSignature')
    const signature = this.rng.bytes(64)
    switch (message.kind) {
      case 'proposal': return { kind: 'proposal', proposal: { ...message.proposal, signature } }
      case 'vote': return { kind: 'vote', vote: { ...message.vote, signature } }
      case 'timeout': return { kind: 'timeout', timeout: { ...message.timeout, signature } }
      case 'certificate': {
        // A copy of a real certificate with one signature forged.
        const c = message.certificate
        if (c.signatures.length === 0) return message
        const k = this.rng.int(0, c.signatures.length - 1)
        return { kind: 'certificate', certificate: { ...c, signatures: c.signatures.map((s, i) => i === k ? signature : s) } }
      }
    }
  }

  /** Rewrites one outgoing message of the replica's core (to one peer, or to all when `to` is null). */
  tamper (to: number | null, message: ConsensusMessage): Outgoing[] {
    if (this.silent) return []
    this.#capture(message)
    const targets = to === null ? this.#peers() : [to]
    let out: Outgoing[] = targets.map((t) => ({ to: t, message }))
    const b = this.behaviours
    if (message.kind === 'proposal') {
      const p = message.proposal
      if (b.has('staleProposal') && this.rng.chance(0.5)) {
        const stale = this.#staleProposal(p)
        if (stale !== null) out = targets.map((t) => ({ to: t, message: { kind: 'proposal', proposal: stale } }))
      }
      if (b.has('forkAttack') && p.tc.length > 0) {
        const fork = this.#forkProposal(p)
        if (fork !== null) {
          // ...and votes for the fork itself (not for the block its core built).
          const hash = this.ctx.batchHash(fork.header)
          this.#forked = { round: fork.header.round, hash: bytesToHex(hash) }
          const vote = this.#signVote({ height: fork.header.height, round: fork.header.round, batchHash: hash })
          out = [
            ...targets.map((t) => ({ to: t, message: { kind: 'proposal', proposal: fork } as ConsensusMessage })),
            { to: this.ctx.leaderOf(fork.header.round + 1), message: { kind: 'vote', vote } }
          ]
        }
      }
      if (b.has('equivocate') && targets.length > 1) {
        const header = p.header
        const digests = header.chunkDigests.length > 0 && this.rng.chance(0.5) ? header.chunkDigests.slice(0, -1) : header.chunkDigests
        const alt: BatchHeader = { ...header, payloadRoot: this.rng.bytes(48), chunkDigests: digests, txCount: digests.length }
        const other = this.#signProposal(alt, p.justify, p.tc)
        this.#capture({ kind: 'proposal', proposal: other })
        const shuffled = this.rng.shuffle([...targets])
        const half = this.rng.int(1, shuffled.length - 1)
        out = shuffled.map((t, i) => ({ to: t, message: i < half ? message : { kind: 'proposal', proposal: other } }))
        this.#count('equivocate')
      }
    } else if (message.kind === 'vote') {
      const v = message.vote
      if (this.#forked !== null && this.#forked.round === v.round && this.#forked.hash !== bytesToHex(v.batchHash)) return []
      if (b.has('unknownVote') && this.rng.chance(0.5)) {
        out = targets.map((t) => ({ to: t, message: { kind: 'vote', vote: this.#signVote({ height: v.height, round: v.round, batchHash: this.rng.bytes(32) }) } }))
        this.#count('unknownVote')
      }
      if (b.has('doubleVote')) {
        const seen = (this.#proposed.get(v.round) ?? []).filter((x) => bytesToHex(x.hash) !== bytesToHex(v.batchHash))
        const target = seen.length > 0 ? this.rng.pick(seen) : { hash: this.rng.bytes(32), height: v.height }
        const second: Outgoing = { to: this.ctx.leaderOf(v.round + 1), message: { kind: 'vote', vote: this.#signVote({ height: target.height, round: v.round, batchHash: target.hash }) } }
        out = this.rng.chance(0.5) ? [second, ...out] : [...out, second]
        this.#count('doubleVote')
      }
    } else if (message.kind === 'timeout' && b.has('futureTimeout')) {
      const t = message.timeout
      for (let k = 1; k <= 3; k++) {
        const round = t.round + k
        const timeout: Timeout = { ...t, round, signature: this.ctx.sign(timeoutMessage(this.ctx.chainId, round, t.highQc.round)) }
        for (const peer of this.#peers()) out.push({ to: peer, message: { kind: 'timeout', timeout } })
      }
      this.#count('futureTimeout')
    }
    if (b.has('badSignature')) out = out.map((o) => this.rng.chance(0.4) ? { to: o.to, message: this.#badSignature(o.message) } : o)
    return out
  }

  /**
   * A proposal for the current round on an older certificate than the one it should
   * extend: usually the highest one below it (a fork of the latest certified block, the
   * attack the TC's high-QC rule exists for), with the real TC when there is one.
   */
  #staleProposal (p: Proposal): Proposal | null {
    const old = this.#certificates.filter((c) => c.round < p.justify.round)
    if (old.length === 0) return null
    // Most recent first: a fork of the latest certified block, or of its parent (which
    // some replica may already have committed).
    const byRound = [...new Map(old.map((c) => [c.round, c])).values()].sort((a, b) => b.round - a.round)
    const roll = this.rng.float()
    const qc = roll < 0.4 ? byRound[0]! : roll < 0.8 ? byRound[Math.min(1, byRound.length - 1)]! : this.rng.pick(old)
    const header: BatchHeader = { ...p.header, height: qc.height + 1, parentHash: qc.batchHash, chunkDigests: [], txCount: 0, payloadRoot: this.rng.bytes(48) }
    this.#count('staleProposal')
    return this.#signProposal(header, qc, this.rng.chance(0.8) ? p.tc : [])
  }

  #forkProposal (p: Proposal): Proposal | null {
    const below = this.#certificates.filter((c) => c.round < p.justify.round)
    if (below.length === 0) return null
    const qc = below.reduce((a, b) => b.round > a.round ? b : a)
    const header: BatchHeader = { ...p.header, height: qc.height + 1, parentHash: qc.batchHash, payloadRoot: this.rng.bytes(48), chunkDigests: [], txCount: 0 }
    this.#count('forkAttack')
    return this.#signProposal(header, qc, p.tc)
  }

  /** Messages to replay now (old, captured ones). */
  replay (): Outgoing[] {
    if (this.silent || !this.behaviours.has('replay') || this.#captured.length === 0) return []
    const out: Outgoing[] = []
    const k = this.rng.int(1, 3)
    for (let i = 0; i < k; i++) {
      out.push({ to: this.rng.pick(this.#peers()), message: this.rng.pick(this.#captured) })
      this.#count('replay')
    }
    return out
  }

  /** Rewrites an answer to a catch-up sync request (committed blocks with their proofs). */
  tamperSync<T extends { block: CoreBlock, proof: { certificate: Certificate } }> (entries: T[]): T[] {
    if (this.silent) return []
    if (!this.behaviours.has('badFetch') || entries.length === 0 || !this.rng.chance(0.5)) return entries
    this.#count('badFetch')
    const k = this.rng.int(0, entries.length - 1)
    return entries.map((e, i) => {
      if (i !== k) return e
      if (this.rng.chance(0.5)) return { ...e, block: { ...e.block, header: { ...e.block.header, txCount: e.block.header.txCount + 1 } } }
      return { ...e, proof: { ...e.proof, certificate: { ...e.proof.certificate, signatures: e.proof.certificate.signatures.map(() => this.rng.bytes(64)) } } }
    })
  }

  /** Rewrites an answer to a block fetch. */
  tamperFetch (blocks: CoreBlock[]): CoreBlock[] {
    if (this.silent) return []
    if (!this.behaviours.has('badFetch') || blocks.length === 0 || !this.rng.chance(0.5)) return blocks
    this.#count('badFetch')
    return blocks.map((block) => {
      const roll = this.rng.float()
      if (roll < 0.2 && this.#certificates.length > 0) return { ...block, justify: this.rng.pick(this.#certificates) }
      if (roll < 0.35) return { ...block, header: { ...block.header, timestamp: block.header.timestamp + 1 } }
      // its real certificate, with one signature forged
      if (roll < 0.7 && block.justify.signatures.length > 0) return { ...block, justify: { ...block.justify, signatures: block.justify.signatures.map((s, i) => i === 0 ? this.rng.bytes(64) : s) } }
      return block
    })
  }
}
