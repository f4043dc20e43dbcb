/**
 * The adversary: a plain libp2p node (TCP, noise, yamux, no protocol handlers of ours) that
 * dials committee members and writes whatever bytes it likes on their protocols. With a
 * member's seed it passes the membership checks (a Byzantine member); with its own key it
 * is an outsider.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { generateKeyPair } from '../../../src/crypto/index.js'

export interface Target {
  index: number
  /** /ip4/127.0.0.1/tcp/<port>/p2p/<peer id> */
  addr: string
}

export class Adversary {
  readonly #node: Libp2p
  readonly #streams = new Map<string, Stream>()

  private constructor (node: Libp2p, readonly chainId: string) {
    this.#node = node
  }

  /** `seed`: a member's seed (Byzantine member), or none for an outsider with a fresh key. */
  static async create (chainId: string, seed?: Uint8Array): Promise<Adversary> {
    const node = await createLibp2p({
      privateKey: await generateKeyPairFromSeed('Ed25519', seed ?? generateKeyPair().seed),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { inboundConnectionThreshold: 1000 }
    })
    return new Adversary(node, chainId)
  }

  /**
   * Writes `data` on a (reused) stream of `/seq/<chain>/<protocol>` to the target. False when
   * the member refused us (connection gated, stream reset) or the stream is full.
   */
  async send (target: Target, protocol: string, data: Uint8Array): Promise<boolean> {
    const key = `${target.addr}|${protocol}`
    try {
      let stream = this.#streams.get(key)
      if (stream === undefined || stream.status !== 'open') {
        stream = await this.#node.dialProtocol(multiaddr(target.addr), `/seq/${this.chainId}/${protocol}`, { signal: AbortSignal.timeout(2000) })
        this.#streams.set(key, stream)
      }
      if (stream.status !== 'open') return false
      return stream.send(data)
    } catch {
      return false
    }
  }

  /** Waits for the target's stream to drain (or close); used by the flood to go as fast as the member reads. */
  async drained (target: Target, protocol: string): Promise<void> {
    const stream = this.#streams.get(`${target.addr}|${protocol}`)
    if (stream === undefined || stream.status !== 'open' || !stream.writableNeedsDrain) return
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); resolve() }
      const timer = setTimeout(done, 200)
      stream.addEventListener('drain', done, { once: true })
      stream.addEventListener('close', done, { once: true })
    })
  }

  /** Opens a connection only (dial attempts count against an outsider); true when it held. */
  async dial (target: Target): Promise<boolean> {
    try {
      const ma: Multiaddr = multiaddr(target.addr)
      await this.#node.dial(ma, { signal: AbortSignal.timeout(2000) })
      return true
    } catch {
      return false
    }
  }

  connections (): number {
    return this.#node.getConnections().filter((c) => c.status === 'open').length
  }

  async stop (): Promise<void> {
    await this.#node.stop()
  }
}
