/**
 * What ordering needs from the network: opaque byte messages between committee members.
 * src/p2p implements it over libp2p; a committee of one uses `SoleMemberTransport`.
 */
export type ChunkVerdict = 'accept' | 'ignore' | 'reject'

export interface ConsensusTransport {
  send: (to: number, bytes: Uint8Array) => void
  broadcast: (bytes: Uint8Array) => void
  onMessage: (handler: (from: number, bytes: Uint8Array) => void) => void
  publishChunk: (bytes: Uint8Array, id: Uint8Array) => Promise<void>
  onChunk: (validator: (from: number, bytes: Uint8Array) => ChunkVerdict) => void
  request: (to: number, protocol: string, bytes: Uint8Array, timeoutMs: number) => Promise<Uint8Array>
  handle: (protocol: string, handler: (from: number, bytes: Uint8Array) => Promise<Uint8Array>) => void
  connectedMembers: () => number[]
}

/** A committee of one has nobody to talk to. */
export class SoleMemberTransport implements ConsensusTransport {
  send (): void {}
  broadcast (): void {}
  onMessage (): void {}
  async publishChunk (): Promise<void> {}
  onChunk (): void {}
  async request (): Promise<Uint8Array> { throw new Error('no other committee members') }
  handle (): void {}
  connectedMembers (): number[] { return [] }
}

export const Protocols = {
  chunks: 'chunks',
  blocks: 'blocks',
  sync: 'sync'
} as const
