/**
 * Dev control (off unless the node's `dev.control` is set; the devnet sets it): cuts this
 * member off from every other committee member, both ways, and restores it, so a user
 * can watch the committee carry on without one member and the member catch up after.
 *
 * While isolated, the transport's connection gater refuses every dial and every inbound
 * connection (checked after the noise handshake, before any stream), and `isolate()`
 * aborts the connections already open. The transport's redial loop keeps trying and is
 * refused; `heal()` lifts the refusal and dials every member at once rather than waiting
 * for the loop's backoff (up to 2 s). Only the members this one dials (the higher indices)
 * are dialled; the lower ones find it again through their own redial loop.
 *
 * `mute(members)` is the one-way partition of the chaos campaign: everything this member
 * sends to those members (consensus frames, direct chunks, requests and its answers to
 * theirs) is dropped, while what they send it still arrives. Connections stay up, as when
 * a stuck stream or a middlebox loses one direction. Chunks on the gossipsub transport
 * (`p2p.chunkTransport: gossipsub`) are not muted: the mesh forwards them anyway.
 */
import type { Connection, PeerId } from '@libp2p/interface'

export interface IsolationState {
  isolated: boolean
  /** when the current isolation began (ms since the epoch), null when not isolated */
  since: number | null
}

/** The part of a libp2p node isolation needs. */
export interface IsolationHost {
  getConnections: () => Connection[]
  dial: (peer: PeerId) => Promise<unknown>
}

export class NetworkIsolation {
  #since: number | null = null
  #host: IsolationHost | null = null
  #members: PeerId[] = []
  #mutedTo = new Set<number>()

  /** Called by the transport once its libp2p node exists; `members` are the other members' ids. */
  attach (host: IsolationHost, members: PeerId[]): void {
    this.#host = host
    this.#members = members
  }

  /** For the connection gater: true while isolated (only members connect at all). */
  denies (): boolean {
    return this.#since !== null
  }

  state (): IsolationState {
    return { isolated: this.#since !== null, since: this.#since }
  }

  /** Refuses new connections, then aborts the open ones. Isolating twice keeps the first `since`. */
  isolate (): IsolationState {
    this.#since ??= Date.now()
    const reason = new Error('isolated by the dev control endpoint')
    for (const connection of this.#host?.getConnections() ?? []) connection.abort(reason)
    return this.state()
  }

  /** Admits connections again and dials every member now. */
  heal (): IsolationState {
    this.#since = null
    for (const peer of this.#members) {
      // A member that is down is redialled by the transport's own loop.
      this.#host?.dial(peer).catch(() => {})
    }
    return this.state()
  }

  /** Drops what this member sends to `members` (indexes) from now on; `[]` lifts it. */
  mute (members: number[]): number[] {
    this.#mutedTo = new Set(members)
    return this.mutedTo()
  }

  /** For the transport: frames to this member are dropped. */
  mutes (member: number): boolean {
    return this.#mutedTo.has(member)
  }

  mutedTo (): number[] {
    return [...this.#mutedTo].sort((a, b) => a - b)
  }
}
