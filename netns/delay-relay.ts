/**
 * The stand-in for `tc netem` on kernels built without sch_netem: a TCP relay per node,
 * listening on the lab's root address, that forwards each connection to the node and holds
 * every chunk of bytes, in each direction, for `delayMs` +- `jitterMs` before passing it on
 * (in order: a TCP stream cannot be reordered, so jitter only stretches the gaps). Packet
 * loss cannot be made at this level (TCP would hide it); it is modelled by its cost to the
 * stream: with probability `lossPct` a chunk also waits one minimum retransmission timeout
 * (200 ms on Linux), as a lost segment without fast retransmit would.
 *
 * Nodes are configured to reach each other only through the relays, and the lab answers
 * direct node-to-node packets with "unreachable", so no path bypasses the delay.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import type { LinkShape } from './lab.js'

/** Linux's minimum TCP retransmission timeout: what one lost segment costs a quiet stream. */
const MIN_RTO_MS = 200
/** Bytes held in one direction before the sender is paused (light test load stays far below). */
const MAX_HELD_BYTES = 8 * 1024 * 1024

export interface RelayTarget {
  host: string
  port: number
}

export class DelayRelay {
  shape: LinkShape = { delayMs: 0, jitterMs: 0, lossPct: 0 }
  /** chunks relayed and chunks that paid the simulated loss */
  readonly stats = { chunks: 0, lost: 0 }
  readonly #servers: Server[] = []
  readonly #sockets = new Set<Socket>()

  /** Starts one listener per target on `host`; returns their ports, in the targets' order. */
  async listen (host: string, targets: RelayTarget[]): Promise<number[]> {
    const ports: number[] = []
    for (const target of targets) {
      const server = createServer((client) => { this.#relay(client, target) })
      this.#servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, host, () => { server.off('error', reject); resolve() })
      })
      ports.push((server.address() as AddressInfo).port)
    }
    return ports
  }

  #relay (client: Socket, target: RelayTarget): void {
    const upstream = connect(target.port, target.host)
    for (const s of [client, upstream]) {
      this.#sockets.add(s)
      s.setNoDelay(true)
      s.once('close', () => { this.#sockets.delete(s) })
      s.on('error', () => { client.destroy(); upstream.destroy() })
    }
    this.#pipe(client, upstream)
    this.#pipe(upstream, client)
  }

  /**
   * Forwards `from` -> `to` through one queue per direction, drained by a single timer, so
   * chunks leave in the order they came (separate timers could fire out of order).
   */
  #pipe (from: Socket, to: Socket): void {
    const queue: Array<{ chunk: Buffer | null, release: number }> = []
    let lastRelease = 0
    let held = 0
    let timer: NodeJS.Timeout | undefined
    const drain = (): void => {
      timer = undefined
      const now = performance.now()
      while (queue.length > 0 && queue[0]!.release <= now) {
        const { chunk } = queue.shift()!
        if (chunk === null) { if (!to.destroyed) to.end(); continue }
        held -= chunk.length
        if (!to.destroyed) to.write(chunk)
      }
      if (held <= MAX_HELD_BYTES) from.resume()
      if (queue.length > 0) timer = setTimeout(drain, queue[0]!.release - now)
    }
    const enqueue = (chunk: Buffer | null, wait: number): void => {
      lastRelease = Math.max(lastRelease, performance.now() + Math.max(0, wait))
      queue.push({ chunk, release: lastRelease })
      timer ??= setTimeout(drain, lastRelease - performance.now())
    }
    from.on('data', (chunk: Buffer) => {
      const { delayMs, jitterMs, lossPct } = this.shape
      this.stats.chunks++
      let wait = delayMs + (Math.random() * 2 - 1) * jitterMs
      if (Math.random() * 100 < lossPct) { wait += MIN_RTO_MS; this.stats.lost++ }
      held += chunk.length
      if (held > MAX_HELD_BYTES) from.pause()
      enqueue(chunk, wait)
    })
    // the end is queued like the data, so it never overtakes it
    from.once('end', () => { enqueue(null, 0) })
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await Promise.all(this.#servers.map(async (s) => await new Promise<void>((resolve) => s.close(() => resolve()))))
    this.#servers.length = 0
  }
}
