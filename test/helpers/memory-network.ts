/**
 * An in-process network of ConsensusTransports for tests of the consensus driver: async
 * delivery (setImmediate), members can be cut off and reconnected.
 */
import type { ChunkVerdict, ConsensusTransport } from '../../src/ordering/index.js'

export class MemoryNetwork {
  readonly members: MemoryTransport[] = []
  readonly down = new Set<number>()
  /** when set, a delivery it answers false for is lost (kind: consensus message or chunk) */
  lose: ((from: number, to: number, kind: 'message' | 'chunk') => boolean) | null = null

  /** deliveries sent and not yet handed to their receiver */
  inFlight = 0

  constructor (n: number) {
    for (let i = 0; i < n; i++) this.members.push(new MemoryTransport(this, i))
  }

  deliver (from: number, to: number, fn: (t: MemoryTransport) => void, kind: 'message' | 'chunk' = 'message'): void {
    if (this.down.has(from) || this.down.has(to)) return
    if (this.lose?.(from, to, kind) === true) return
    this.inFlight++
    setImmediate(() => {
      this.inFlight--
      if (!this.down.has(from) && !this.down.has(to)) fn(this.members[to]!)
    })
  }

  /** A fresh transport for a restarted member (handlers of the old one are dropped). */
  replace (index: number): MemoryTransport {
    const t = new MemoryTransport(this, index)
    this.members[index] = t
    return t
  }
}

export class MemoryTransport implements ConsensusTransport {
  messageHandler: ((from: number, bytes: Uint8Array) => void) | null = null
  chunkValidator: ((from: number, bytes: Uint8Array) => ChunkVerdict) | null = null
  readonly handlers = new Map<string, (from: number, bytes: Uint8Array) => Promise<Uint8Array>>()

  constructor (private readonly net: MemoryNetwork, readonly index: number) {}

  send (to: number, bytes: Uint8Array): void {
    this.net.deliver(this.index, to, (t) => t.messageHandler?.(this.index, bytes))
  }

  broadcast (bytes: Uint8Array): void {
    for (let i = 0; i < this.net.members.length; i++) if (i !== this.index) this.send(i, bytes)
  }

  onMessage (handler: (from: number, bytes: Uint8Array) => void): void { this.messageHandler = handler }

  async publishChunk (bytes: Uint8Array): Promise<void> {
    for (let i = 0; i < this.net.members.length; i++) {
      if (i !== this.index) this.net.deliver(this.index, i, (t) => t.chunkValidator?.(this.index, bytes), 'chunk')
    }
  }

  onChunk (validator: (from: number, bytes: Uint8Array) => ChunkVerdict): void { this.chunkValidator = validator }

  async request (to: number, protocol: string, bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.net.down.has(to) || this.net.down.has(this.index)) throw new Error('not connected')
    const handler = this.net.members[to]!.handlers.get(protocol)
    if (handler === undefined) throw new Error('no handler')
    return await Promise.race([
      handler(this.index, bytes),
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())
    ])
  }

  handle (protocol: string, handler: (from: number, bytes: Uint8Array) => Promise<Uint8Array>): void { this.handlers.set(protocol, handler) }

  connectedMembers (): number[] {
    return this.net.members.map((m) => m.index).filter((i) => i !== this.index && !this.net.down.has(i) && !this.net.down.has(this.index))
  }
}
