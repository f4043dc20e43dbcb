/**
 * Request/response between members as a service of the committee node: serves the
 * registered protocols (`/seq/<chain>/req/<name>/1`) and keeps one reused request stream
 * per member and protocol. The wire protocol is request-response.ts.
 */
import type { Libp2p } from '@libp2p/interface'
import { setTimeout as delay } from 'node:timers/promises'
import { CONNECT_TIMEOUT_MS, MAX_INBOUND_STREAMS } from './committee-options.js'
import { P2PError, P2PErrorCode } from './errors.js'
import type { CommitteeGater } from './gater.js'
import type { MemberLinks } from './member-links.js'
import { RequestChannel, serveRequests } from './request-response.js'
import { closeWhenRemoteCloses } from './stream-utils.js'
import type { Logger } from 'pino'
import type { P2PMetrics, RequestHandler } from './types.js'

const PROTOCOL_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Throws P2P_BAD_ARGUMENT unless `protocol` is 1-64 letters, digits, '-' or '_'. */
export function checkProtocolName (protocol: string): void {
  if (!PROTOCOL_NAME.test(protocol)) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `bad request protocol name ${JSON.stringify(protocol)}`)
}

export interface RequestServiceComponents {
  node: Pick<Libp2p, 'handle'>
  links: MemberLinks
  gater: CommitteeGater
  metrics: P2PMetrics | null
  log: Logger | null
  maxMessageBytes: number
  maxConcurrentRequests: number
  protocolId: (name: string) => string
  peerIdOf: (index: number) => string
  /** the handlers registered now, by protocol name (more may come after start) */
  handlers: ReadonlyMap<string, RequestHandler>
}

export class RequestService {
  readonly #c: RequestServiceComponents
  readonly #channels = new Map<string, RequestChannel>()

  constructor (components: RequestServiceComponents) {
    this.#c = components
  }

  /** Before the node starts: serve every protocol registered so far. */
  async start (): Promise<void> {
    for (const protocol of this.#c.handlers.keys()) await this.serve(protocol)
  }

  /** Pending requests reject with P2P_NOT_RUNNING. */
  stop (): void {
    const stopped = new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport stopped')
    for (const channel of this.#channels.values()) channel.close(stopped)
    this.#channels.clear()
  }

  async request (to: number, protocol: string, bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#c.gater.mutes(to)) {
      // dev one-way partition: the request is lost on the way, so the caller times out
      await delay(timeoutMs)
      throw new P2PError(P2PErrorCode.TIMEOUT, `no answer from member ${to} within ${timeoutMs} ms (muted by dev control)`)
    }
    this.#c.metrics?.bytesOut.inc({ kind: 'request' }, bytes.byteLength)
    const response = await this.#channel(to, protocol).request(bytes, timeoutMs)
    this.#c.metrics?.bytesIn.inc({ kind: 'response' }, response.byteLength)
    return response
  }

  /** Serves `protocol` with whatever handler is registered under it when a request comes. */
  async serve (protocol: string): Promise<void> {
    const c = this.#c
    await c.node.handle(c.protocolId(protocol), (stream, connection) => {
      const from = c.gater.memberOf(stream, connection, 'request')
      if (from === undefined) return
      // dev one-way partition: our answers to this member are lost, so it hears nothing
      if (c.gater.mutes(from)) { closeWhenRemoteCloses(stream); return }
      const peer = connection.remotePeer.toString()
      serveRequests(stream, {
        from,
        admit: (bytes) => c.gater.admitFrame(stream, peer, 'request', bytes),
        handler: () => c.handlers.get(protocol),
        maxMessageBytes: c.maxMessageBytes,
        maxConcurrent: c.maxConcurrentRequests,
        onRefused: (reason) => {
          c.metrics?.refused.inc({ kind: 'request', reason })
          c.gater.reject(peer, reason)
        },
        onServed: (bytes) => {
          c.metrics?.messagesOut.inc({ kind: 'response' })
          c.metrics?.bytesOut.inc({ kind: 'response' }, bytes)
        },
        onHandlerError: (err) => { c.log?.warn({ err, protocol, from }, 'a request handler failed') }
      })
    }, { maxInboundStreams: MAX_INBOUND_STREAMS })
  }

  #channel (to: number, protocol: string): RequestChannel {
    const key = `${to}/${protocol}`
    let channel = this.#channels.get(key)
    if (channel === undefined) {
      const c = this.#c
      const peerId = c.peerIdOf(to)
      const protocolId = c.protocolId(protocol)
      channel = new RequestChannel({
        protocol: protocolId,
        openStream: async (signal) => c.links.openStream(to, protocolId, signal),
        openTimeoutMs: CONNECT_TIMEOUT_MS,
        maxMessageBytes: c.maxMessageBytes,
        onRefused: (reason) => {
          c.metrics?.refused.inc({ kind: 'response', reason })
          c.gater.reject(peerId, reason)
        }
      })
      this.#channels.set(key, channel)
    }
    return channel
  }
}
