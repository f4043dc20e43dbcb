/**
 * Helpers of the API abuse tests: a real one-member node in its own process (so its
 * memory is measured apart from the abusive clients), raw TCP clients that speak broken
 * or slow HTTP, and readers of the node's refusal counters and memory gauges.
 */
import { connect, type Socket } from 'node:net'
import { getMetricsText, makeNodeHome, metricValue, startNodeProcess, type NodeHome, type NodeProcess } from '../helpers/node-process.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export interface AbuseNode extends NodeProcess {
  home: NodeHome
  port: number
}

export interface AbuseNodeOptions {
  /** api section of the node config (host and port are filled in) */
  api?: Record<string, unknown>
  mempool?: Record<string, unknown>
  consensus?: Record<string, unknown>
  rollups?: string[]
  limits?: Record<string, number>
}

/** A one-member node, `seqnode start` in a child process, with config overrides. */
export async function startAbuseNode (t: Teardown, opts: AbuseNodeOptions = {}): Promise<AbuseNode> {
  const home = await makeNodeHome(t, {
    chainId: 'abuse-1',
    ...(opts.rollups !== undefined ? { rollups: opts.rollups } : {}),
    ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
    config: {
      api: { host: '127.0.0.1', port: 0, ...opts.api },
      ...(opts.mempool !== undefined ? { mempool: opts.mempool } : {}),
      ...(opts.consensus !== undefined ? { consensus: opts.consensus } : {})
    }
  })
  const node = await startNodeProcess(t, home.configFile)
  return { ...node, home, port: Number(new URL(node.url).port) }
}

/** `seq_api_rejected_total` per reason. */
export async function rejections (url: string): Promise<Record<string, number>> {
  const text = await getMetricsText(url)
  const out: Record<string, number> = {}
  for (const m of text.matchAll(/^seq_api_rejected_total\{reason="([A-Z_]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2])
  return out
}

/** Counts added between two snapshots, zero entries left out. */
export function rejectionDelta (before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [reason, n] of Object.entries(after)) {
    const d = n - (before[reason] ?? 0)
    if (d !== 0) out[reason] = d
  }
  return out
}

export interface MemorySample {
  rssBytes: number
  heapUsedBytes: number
  streamBufferedBytes: number
  subscribers: number
  connections: number
}

export async function memoryOf (url: string): Promise<MemorySample> {
  const text = await getMetricsText(url)
  return {
    rssBytes: metricValue(text, 'seq_process_resident_memory_bytes') ?? NaN,
    heapUsedBytes: metricValue(text, 'seq_nodejs_heap_size_used_bytes') ?? NaN,
    streamBufferedBytes: metricValue(text, 'seq_api_stream_buffered_bytes') ?? NaN,
    subscribers: metricValue(text, 'seq_api_stream_subscribers') ?? NaN,
    connections: metricValue(text, 'seq_api_connections') ?? NaN
  }
}

export const MiB = 1024 * 1024

/** A raw TCP client: what it wrote is up to the test; collects the reply and when the server closed. */
export class RawClient {
  readonly socket: Socket
  received = ''
  readonly opened: Promise<void>
  readonly closed: Promise<{ afterMs: number, reply: string }>
  readonly #started = performance.now()

  constructor (port: number, opts: { localAddress?: string } = {}) {
    this.socket = connect({ port, host: '127.0.0.1', ...opts })
    this.socket.on('error', () => {})
    this.socket.on('data', (data) => { this.received += data.toString('latin1') })
    this.opened = new Promise((resolve) => this.socket.once('connect', () => resolve()))
    this.closed = new Promise((resolve) => {
      this.socket.once('close', () => resolve({ afterMs: performance.now() - this.#started, reply: this.received }))
    })
  }

  write (text: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(text)
  }

  /** Writes `pieces` one by one, `everyMs` apart, until they run out or the server closes. */
  dribble (pieces: Iterable<string>, everyMs: number): void {
    const iterator = pieces[Symbol.iterator]()
    const timer = setInterval(() => {
      const next = iterator.next()
      if (next.done === true || this.socket.destroyed) clearInterval(timer)
      else this.write(next.value)
    }, everyMs)
    this.socket.once('close', () => clearInterval(timer))
  }

  destroy (): void {
    this.socket.destroy()
  }
}

/** Status line and JSON error code of a raw HTTP reply ('' when there was none). */
export function parseRawReply (reply: string): { status: number, code: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)
  const code = /"code":"([A-Z_]+)"/.exec(reply)?.[1] ?? ''
  return { status, code }
}

export function * repeat<T> (value: T, times = Infinity): Generator<T> {
  for (let i = 0; i < times; i++) yield value
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
