/**
 * One connection per pair of members, and the repairs that keep it so.
 *
 * Why: when both ends of a pair dial, they end up with two connections, and gossipsub 17
 * keeps one outbound stream per peer on whichever connection it saw first. If that
 * connection later closes while the other stays up, gossipsub drops its outbound stream
 * and never opens another (it only does so on a new peer or an inbound stream), so the
 * link turns one-way for good (issue #17; the same class of bug as jvm-libp2p's "open a
 * single outbound stream per peer"). The rules here make that state unreachable:
 *
 * - Only the lower index dials (`dialsTo`); the higher one waits to be dialled, and its
 *   outbound streams ride the connection it was given. Nothing but the dialer opens
 *   connections between members, so simultaneous dials cannot happen.
 * - The newest connection to a member wins (`supersededBy`): a second connection means the
 *   member restarted (or its side saw the old one die) and the old one is stale, so the
 *   old ones are closed before anything is opened on the new one.
 * - A link whose gossip stream is gone while the connection stays up is closed
 *   (`gossipLinksToReset`), so the dialer reconnects it and gossipsub starts afresh.
 */
import type { Connection } from '@libp2p/interface'

/** The lower index of a pair dials; the higher one waits. */
export function dialsTo (selfIndex: number, other: number): boolean {
  return selfIndex < other
}

/** The newest open connection, the one streams should use. */
export function newestOpen (connections: readonly Connection[]): Connection | undefined {
  let newest: Connection | undefined
  for (const connection of connections) {
    if (connection.status !== 'open') continue
    if (newest === undefined || connection.timeline.open >= newest.timeline.open) newest = connection
  }
  return newest
}

/** The open connections that `fresh` replaces: every other open one to the same peer. */
export function supersededBy (fresh: Connection, connections: readonly Connection[]): Connection[] {
  return connections.filter((c) => c.id !== fresh.id && c.status === 'open' && c.timeline.open <= fresh.timeline.open)
}

export interface GossipLinkState {
  /** connected members, with when their current connection opened */
  connectedSince: ReadonlyMap<number, number>
  /** members gossipsub holds an outbound stream to */
  withOutboundStream: ReadonlySet<number>
}

/**
 * Members that have been connected for longer than `graceMs` without a gossip outbound
 * stream: gossipsub will never open one on this connection, so it must be replaced.
 */
export function gossipLinksToReset (state: GossipLinkState, now: number, graceMs: number): number[] {
  const reset: number[] = []
  for (const [index, since] of state.connectedSince) {
    if (!state.withOutboundStream.has(index) && now - since > graceMs) reset.push(index)
  }
  return reset
}
