/**
 * Connection-level limits of the API: how many sockets one client IP and all clients
 * may hold, and the typed reply for what Node's HTTP parser refuses itself (header and
 * request timeouts of slow clients, oversized headers, garbage that is not HTTP).
 *
 * A socket past its IP's limit is still read up to its first request, which gets a 503
 * TOO_MANY_CONNECTIONS and `Connection: close`: the client learns why. Past the total
 * limit Node drops new sockets at accept (`server.maxConnections`), counted here too.
 */
import { STATUS_CODES, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { ApiErrorCode } from './errors.js'
import type { ApiMetrics } from './metrics.js'

export interface ConnectionLimits {
  maxConnections: number
  maxConnectionsPerIp: number
}

export class ConnectionGuard {
  #total = 0
  readonly #perIp = new Map<string, number>()
  readonly #overLimit = new WeakSet<Socket>()

  constructor (private readonly limits: ConnectionLimits, private readonly metrics: ApiMetrics | null) {}

  get open (): number {
    return this.#total
  }

  attach (server: Server): void {
    server.maxConnections = this.limits.maxConnections
    server.on('drop', () => this.metrics?.rejected.inc({ reason: ApiErrorCode.TOO_MANY_CONNECTIONS }))
    server.on('connection', (socket: Socket) => {
      const ip = socket.remoteAddress ?? ''
      const count = (this.#perIp.get(ip) ?? 0) + 1
      this.#perIp.set(ip, count)
      this.#total++
      if (count > this.limits.maxConnectionsPerIp) this.#overLimit.add(socket)
      socket.once('close', () => {
        this.#total--
        const left = (this.#perIp.get(ip) ?? 1) - 1
        if (left === 0) this.#perIp.delete(ip)
        else this.#perIp.set(ip, left)
      })
    })
  }

  /** True for a socket opened while its IP was over the limit: its requests are refused. */
  isOverLimit (socket: Socket): boolean {
    return this.#overLimit.has(socket)
  }
}

/** What the HTTP parser refused, as the reply to write on the raw socket. */
export function clientErrorReply (code: string | undefined): { status: number, code: ApiErrorCode, message: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: ApiErrorCode.REQUEST_TIMEOUT, message: 'the request was not received within the server timeout' }
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: ApiErrorCode.HEADERS_TOO_LARGE, message: 'request headers are too large' }
    default:
      return { status: 400, code: ApiErrorCode.BAD_REQUEST, message: 'not a valid HTTP request' }
  }
}

/**
 * fastify `clientErrorHandler`: a typed JSON reply (when the socket can still take one),
 * a count per code, then the socket is destroyed. Resets by the client are not counted.
 */
export function makeClientErrorHandler (metrics: ApiMetrics | null): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return
    const reply = clientErrorReply(err.code)
    metrics?.rejected.inc({ reason: reply.code })
    if (socket.writable) {
      const body = JSON.stringify({ error: { code: reply.code, message: reply.message } })
      socket.write(`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    }
    socket.destroy()
  }
}
