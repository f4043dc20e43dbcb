/**
 * Who may talk to the committee: the libp2p connection gater (after the noise handshake,
 * which proves the remote key), the membership check on every inbound stream, and the
 * per-frame budget. Every refusal is a P2P reject code, counted, logged and scored in the
 * peer guard (peer-guard.ts), whose ban closes the peer's connections here.
 */
import type { Connection, ConnectionGater, PeerId, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import { P2PError, P2PErrorCode } from './errors.js'
import type { CommitteeDirectory } from './identity.js'
import type { NetworkIsolation } from './isolation.js'
import { PeerGuard, type FrameKind, type PeerGuardOptions, type PeerStanding } from './peer-guard.js'
import type { P2PMetrics } from './types.js'

export interface CommitteeGaterComponents {
  directory: CommitteeDirectory
  selfIndex: number
  metrics: P2PMetrics | null
  log: Logger | null
  /** admit connections (not streams) from non-members */
  allowNonMemberConnections: boolean
  isolation?: NetworkIsolation | undefined
  /** the node's open connections, for closing a banned peer's (none before the node exists) */
  connections: () => Connection[]
}

export class CommitteeGater {
  readonly #c: CommitteeGaterComponents
  readonly #guard: PeerGuard

  constructor (components: CommitteeGaterComponents, guardOptions: PeerGuardOptions) {
    this.#c = components
    this.#guard = new PeerGuard({
      memberIndex: (peerId) => components.directory.indexOf(peerId),
      onBan: (peerId, durationMs) => { this.#onBan(peerId, durationMs) },
      metrics: components.metrics
    }, guardOptions)
  }

  /** For `createLibp2p({ connectionGater })`. */
  get connectionGater (): ConnectionGater {
    return {
      // we dial members only, whatever allowNonMemberConnections says
      denyDialPeer: (peerId) => this.#c.directory.indexOf(peerId) === undefined || this.#denyOutbound(peerId),
      denyInboundEncryptedConnection: (peerId) => this.#denyInbound(peerId),
      denyOutboundEncryptedConnection: (peerId) => this.#denyOutbound(peerId)
    }
  }

  /** The member index of a stream's remote peer; a non-member's stream is refused. */
  memberOf (stream: Stream, connection: Connection, kind: string): number | undefined {
    const from = this.#c.directory.indexOf(connection.remotePeer)
    if (from === undefined || from === this.#c.selfIndex) {
      // [REJECT] only committee members open our streams
      this.refuse(stream, connection.remotePeer.toString(), kind, new P2PError(P2PErrorCode.NOT_MEMBER, `${connection.remotePeer.toString()} is not a committee member`))
      return undefined
    }
    return from
  }

  /** Charges a frame to the peer's budgets; false when it must be dropped, and a banned peer's stream is aborted. */
  admitFrame (stream: Stream, peer: string, kind: FrameKind, bytes: number): boolean {
    if (this.#guard.admitFrame(peer, kind, bytes)) {
      this.#c.metrics?.bytesIn.inc({ kind }, bytes)
      return true
    }
    if (this.#guard.isBanned(peer) && stream.status === 'open') stream.abort(new P2PError(P2PErrorCode.BANNED, 'the peer is banned'))
    return false
  }

  /** A gossip message charged to the peer's budgets (no stream to abort: gossipsub owns it). */
  admitGossip (peer: string, kind: FrameKind, bytes: number): boolean {
    return this.#guard.admitFrame(peer, kind, bytes)
  }

  /** Refuses an inbound stream: counted under `kind` and the error's code, scored, and the stream reset. */
  refuse (stream: Stream, peer: string, kind: string, err: P2PError): void {
    this.#c.metrics?.refused.inc({ kind, reason: err.code })
    this.#guard.reject(peer, err.code)
    this.#c.log?.warn({ kind, reason: err.code, err: err.message }, 'refused inbound stream')
    stream.abort(err)
  }

  /** A refusal already counted by the caller, scored by its code (or the given penalty). */
  reject (peer: string, code: string, penalty?: number): void {
    if (penalty === undefined) this.#guard.reject(peer, code)
    else this.#guard.reject(peer, code, penalty)
  }

  standings (): PeerStanding[] {
    return this.#guard.standings()
  }

  /** Refuses banned peers and (unless allowed) non-members, both costing the peer score, and everyone while isolated. */
  #denyInbound (peerId: PeerId): boolean {
    const id = peerId.toString()
    let reason: P2PErrorCode
    if (this.#guard.isBanned(id)) reason = P2PErrorCode.BANNED
    else if (this.#c.directory.indexOf(id) === undefined && !this.#c.allowNonMemberConnections) reason = P2PErrorCode.NOT_MEMBER
    else return this.#isolated()
    this.#c.metrics?.refused.inc({ kind: 'connection', reason })
    this.#guard.reject(id, reason)
    this.#c.log?.debug({ peer: id, reason }, 'refused an inbound connection')
    return true
  }

  #denyOutbound (peerId: PeerId): boolean {
    const id = peerId.toString()
    return this.#guard.isBanned(id) || (this.#c.directory.indexOf(id) === undefined && !this.#c.allowNonMemberConnections) || this.#isolated()
  }

  /** dev control: what this member sends to `member` is dropped (a one-way partition, src/p2p/isolation.ts) */
  mutes (member: number): boolean {
    return this.#c.isolation?.mutes(member) === true
  }

  /** dev control: cut off from everyone (src/p2p/isolation.ts) */
  #isolated (): boolean {
    return this.#c.isolation?.denies() === true
  }

  /** The peer's score fell to the threshold: drop its connections (the gater keeps it out). */
  #onBan (peerId: string, durationMs: number): void {
    this.#c.log?.warn({ peer: peerId, member: this.#c.directory.indexOf(peerId), durationMs }, 'peer banned: its score fell to the threshold')
    const banned = new P2PError(P2PErrorCode.BANNED, `banned for ${Math.round(durationMs)} ms`)
    for (const connection of this.#c.connections()) {
      if (connection.remotePeer.toString() === peerId) connection.abort(banned)
    }
  }
}
