/**
 * Scrapes Prometheus `/metrics` of every member (the sequencer's `seq_*` names, or etcd's
 * unprefixed ones) once a second: RSS, CPU seconds, event-loop lag and mempool size over
 * time, plus full snapshots at the start and end of the measured window for deltas.
 */
import type http from 'node:http'
import { rawRequest } from './http.js'

export type MetricMap = Map<string, number>

/** `name{labels} value` lines; the key is the name with its label set as written. */
export function parseMetrics (text: string): MetricMap {
  const out: MetricMap = new Map()
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    if (space <= 0) continue
    let key = line.slice(0, space)
    let value = Number(line.slice(space + 1))
    // a timestamp after the value (not written by prom-client or etcd, but legal)
    if (Number.isNaN(value)) {
      const parts = line.split(' ')
      if (parts.length < 3) continue
      key = parts[0]!
      value = Number(parts[1])
    }
    if (!Number.isNaN(value)) out.set(key, value)
  }
  return out
}

export interface MetricSample { t: number, rssBytes: number, cpuSeconds: number, lagP99Seconds: number, mempoolTxs: number }

export interface Endpoint { name: string, url: string }

export class MetricsSampler {
  readonly series = new Map<string, MetricSample[]>()
  #timer: NodeJS.Timeout | null = null
  #busy = false

  constructor (private readonly endpoints: Endpoint[], private readonly agent: http.Agent, private readonly prefix: string) {
    for (const e of endpoints) this.series.set(e.name, [])
  }

  async snapshot (): Promise<Map<string, MetricMap | null>> {
    const out = new Map<string, MetricMap | null>()
    await Promise.all(this.endpoints.map(async (e) => {
      try {
        const reply = await rawRequest(this.agent, `${e.url}/metrics`, { signal: AbortSignal.timeout(5000) })
        out.set(e.name, reply.status === 200 ? parseMetrics(reply.body.toString('utf8')) : null)
      } catch {
        out.set(e.name, null)
      }
    }))
    return out
  }

  start (intervalMs = 1000): void {
    const sample = async (): Promise<void> => {
      if (this.#busy) return
      this.#busy = true
      try {
        const t = performance.now()
        const snap = await this.snapshot()
        for (const [name, m] of snap) {
          if (m === null) continue
          this.series.get(name)!.push({
            t,
            rssBytes: m.get(`${this.prefix}process_resident_memory_bytes`) ?? Number.NaN,
            cpuSeconds: m.get(`${this.prefix}process_cpu_seconds_total`) ?? Number.NaN,
            lagP99Seconds: m.get(`${this.prefix}nodejs_eventloop_lag_p99_seconds`) ?? Number.NaN,
            mempoolTxs: m.get(`${this.prefix}mempool_txs`) ?? Number.NaN
          })
        }
      } finally {
        this.#busy = false
      }
    }
    void sample()
    this.#timer = setInterval(() => void sample(), intervalMs)
  }

  stop (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }

  rssMbMax (): Record<string, number | null> {
    const out: Record<string, number | null> = {}
    for (const [name, s] of this.series) {
      const values = s.map((x) => x.rssBytes).filter((v) => Number.isFinite(v))
      out[name] = values.length === 0 ? null : round1(Math.max(...values) / 1024 / 1024)
    }
    return out
  }

  /** max event-loop lag p99 (ms) seen in any scrape between t0 and t1 */
  lagMsMax (t0: number, t1: number): Record<string, number | null> {
    const out: Record<string, number | null> = {}
    for (const [name, s] of this.series) {
      const values = s.filter((x) => x.t >= t0 && x.t <= t1).map((x) => x.lagP99Seconds).filter((v) => Number.isFinite(v))
      out[name] = values.length === 0 ? null : round1(Math.max(...values) * 1000)
    }
    return out
  }

  mempoolMax (t0: number, t1: number): Record<string, number | null> {
    const out: Record<string, number | null> = {}
    for (const [name, s] of this.series) {
      const values = s.filter((x) => x.t >= t0 && x.t <= t1).map((x) => x.mempoolTxs).filter((v) => Number.isFinite(v))
      out[name] = values.length === 0 ? null : Math.max(...values)
    }
    return out
  }
}

/** Sum of every series of a metric name (all label sets). */
export function sumMetric (m: MetricMap | null | undefined, name: string, labelFilter?: string): number {
  if (m === null || m === undefined) return Number.NaN
  let sum = 0
  for (const [key, value] of m) {
    if (key !== name && !key.startsWith(`${name}{`)) continue
    if (labelFilter !== undefined && !key.includes(labelFilter)) continue
    sum += value
  }
  // a labelled counter has no line until its first increment: absent counts as 0
  return sum
}

/** Counters by one label's value, e.g. rejections by code. */
export function byLabel (m: MetricMap | null | undefined, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {}
  if (m === null || m === undefined) return out
  const re = new RegExp(`${label}="([^"]*)"`)
  for (const [key, value] of m) {
    if (!key.startsWith(`${name}{`)) continue
    const match = re.exec(key)
    if (match !== null) out[match[1]!] = (out[match[1]!] ?? 0) + value
  }
  return out
}

/**
 * Quantile from the delta of two cumulative Prometheus histograms (`name_bucket{le=..}`),
 * linear inside the bucket; null without observations. Bucket-resolution only.
 */
export function histogramQuantile (before: MetricMap | null | undefined, after: MetricMap | null | undefined, name: string, q: number): number | null {
  if (after === null || after === undefined) return null
  const buckets: Array<{ le: number, count: number }> = []
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket{`)) continue
    const le = /le="([^"]+)"/.exec(key)?.[1]
    if (le === undefined) continue
    const prev = before?.get(key) ?? 0
    buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: value - prev })
  }
  buckets.sort((a, b) => a.le - b.le)
  const total = buckets.at(-1)?.count ?? 0
  if (total <= 0) return null
  const rank = q * total
  let prevLe = 0
  let prevCount = 0
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe
      const inBucket = b.count - prevCount
      return inBucket <= 0 ? b.le : prevLe + (b.le - prevLe) * (rank - prevCount) / inBucket
    }
    prevLe = b.le
    prevCount = b.count
  }
  return prevLe
}

export function delta (before: MetricMap | null | undefined, after: MetricMap | null | undefined, name: string, labelFilter?: string): number {
  return sumMetric(after, name, labelFilter) - sumMetric(before, name, labelFilter)
}

function round1 (x: number): number {
  return Math.round(x * 10) / 10
}
