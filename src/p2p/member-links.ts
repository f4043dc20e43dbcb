/**
 * The links to the other members: their addresses, the dialer that keeps one connection
 * per pair (the lower index dials, the newest connection wins: connection-policy.ts), and
 * streams opened on that connection for the services above.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import { CONNECT_TIMEOUT_MS } from './committee-options.js'
import { dialsTo, newestOpen, supersededBy } from './connection-policy.js'
import { P2PError, P2PErrorCode } from './errors.js'
import type { CommitteeDirectory } from './identity.js'
import { MemberDialer } from './member-dialer.js'
import type { P2PMetrics } from './types.js'

export type LinkHost = Pick<Libp2p, 'getConnections' | 'dial' | 'dialProtocol' | 'peerStore' | 'addEventListener'>

export interface MemberLinksComponents {
  node: LinkHost
  directory: CommitteeDirectory
  selfIndex: number
  redialMinMs: number
  redialMaxMs: number
  metrics: P2PMetrics | null
  log: Logger | null
}

/** A member's multiaddrs without their /p2p suffix; throws P2P_BAD_ARGUMENT when one names another peer or does not parse. */
export function parseMemberAddrs (index: number, addrs: string[], expectedPeerId: string): Multiaddr[] {
  return addrs.map((addr) => {
    let ma: Multiaddr
    try {
      ma = multiaddr(addr)
    } catch (err) {
      throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `member ${index}: bad multiaddr ${addr}: ${(err as Error).message}`)
    }
    const p2p = ma.getComponents().find((c) => c.code === CODE_P2P)
    if (p2p === undefined) return ma
    if (p2p.value !== expectedPeerId) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `member ${index}: ${addr} names another peer`)
    return ma.decapsulateCode(CODE_P2P)
  })
}

export class MemberLinks {
  readonly others: number[]
  readonly #c: MemberLinksComponents
  readonly #dialer: MemberDialer
  #running = true

  constructor (components: MemberLinksComponents) {
    this.#c = components
    const { directory, selfIndex, node } = components
    this.others = directory.peerIds.map((_, i) => i).filter((i) => i !== selfIndex)
    this.#dialer = new MemberDialer({
      members: this.dialed(),
      dial: async (index, signal) => { await node.dial(directory.peerId(index), { signal }) },
      isConnected: (index) => this.isConnected(index),
      dialTimeoutMs: CONNECT_TIMEOUT_MS,
      minDelayMs: components.redialMinMs,
      maxDelayMs: components.redialMaxMs,
      onOutcome: (index, ok, err) => {
        components.metrics?.dials.inc({ outcome: ok ? 'ok' : 'failed' })
        if (!ok) components.log?.debug({ index, err }, 'dial failed')
      }
    })
  }

  /** Before the node starts: follow its connections. */
  start (): void {
    const { node, directory } = this.#c
    node.addEventListener('connection:open', (evt) => { this.#onConnectionOpen(evt.detail) })
    node.addEventListener('peer:connect', (evt) => {
      const index = directory.indexOf(evt.detail)
      if (index !== undefined) this.#dialer.connected(index)
    })
    node.addEventListener('peer:disconnect', (evt) => {
      const index = directory.indexOf(evt.detail)
      if (index !== undefined) this.#dialer.disconnected(index)
    })
  }

  /** Once the node listens: dial the members we dial. */
  afterStart (): void {
    this.#dialer.start()
  }

  stop (): void {
    this.#running = false
    this.#dialer.stop()
  }

  /** The member index of a peer, undefined for a non-member. */
  memberIndex (peerId: PeerId | string): number | undefined {
    return this.#c.directory.indexOf(peerId)
  }

  /** The members we dial (connection-policy.ts: the lower index dials). */
  dialed (): number[] {
    return this.others.filter((i) => dialsTo(this.#c.selfIndex, i))
  }

  /** Stores a member's addresses in the peer store and dials it now. */
  setAddresses (index: number, addrs: Multiaddr[]): void {
    this.#c.node.peerStore.patch(this.#c.directory.peerId(index), { multiaddrs: addrs })
      .then(() => { this.#dialer.addressesChanged(index) })
      .catch((err: unknown) => { this.#c.log?.error({ err, index }, 'storing member addresses failed') })
  }

  isConnected (index: number): boolean {
    return this.#running && this.#c.node.getConnections(this.#c.directory.peerId(index)).some((c) => c.status === 'open')
  }

  connectedMembers (): number[] {
    return this.others.filter((i) => this.isConnected(i))
  }

  /** Open connections to each other member (1 when healthy). */
  connectionCounts (): Map<number, number> {
    const counts = new Map<number, number>()
    for (const index of this.others) {
      counts.set(index, this.#c.node.getConnections(this.#c.directory.peerId(index)).filter((c) => c.status === 'open').length)
    }
    return counts
  }

  /** The newest open connection to a member, if any. */
  connectionTo (index: number): Connection | undefined {
    return newestOpen(this.#c.node.getConnections(this.#c.directory.peerId(index)))
  }

  /** Closes every connection to a member; the dialer (or the member) reconnects. */
  abortConnections (index: number, err: Error): void {
    for (const connection of this.#c.node.getConnections(this.#c.directory.peerId(index))) connection.abort(err)
  }

  /**
   * A stream to a member on its newest connection. Only the dialing side may open a
   * connection for it; the other waits to be dialled, so both never dial at once.
   */
  async openStream (index: number, protocol: string, signal: AbortSignal): Promise<Stream> {
    if (!this.#running) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport is not running')
    const connection = this.connectionTo(index)
    if (connection !== undefined) return connection.newStream(protocol, { signal })
    if (!dialsTo(this.#c.selfIndex, index)) throw new P2PError(P2PErrorCode.NOT_CONNECTED, `waiting for member ${index} to connect`)
    return this.#c.node.dialProtocol(this.#c.directory.peerId(index), protocol, { signal })
  }

  /** A second connection to a member replaces the first (connection-policy.ts). */
  #onConnectionOpen (connection: Connection): void {
    const index = this.#c.directory.indexOf(connection.remotePeer)
    if (index === undefined) return
    const stale = supersededBy(connection, this.#c.node.getConnections(connection.remotePeer))
    if (stale.length === 0) return
    this.#c.metrics?.connectionsReplaced.inc({ reason: 'superseded' }, stale.length)
    this.#c.log?.debug({ index, stale: stale.length }, 'a new connection to the member replaces the old one')
    const replaced = new P2PError(P2PErrorCode.NOT_CONNECTED, 'replaced by a newer connection')
    for (const old of stale) old.abort(replaced)
  }
}
