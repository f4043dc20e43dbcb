/**
 * An in-memory `P2PMetrics` for tests, benchmarks and a status view; the node wires
 * prom-client counters instead (they fit `P2PCounter` as they are).
 */
import type { P2PCounter, P2PMetrics } from './types.js'

export class MemoryCounter<L extends string> implements P2PCounter<L> {
  readonly #values = new Map<string, number>()

  inc (labels: Partial<Record<L, string>>, value = 1): void {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a < b ? -1 : 1))
    this.#values.set(key, (this.#values.get(key) ?? 0) + value)
  }

  /** Sum over every label set that includes `labels`. */
  get (labels: Partial<Record<L, string>> = {}): number {
    let sum = 0
    for (const [key, value] of this.#values) {
      const entries = Object.fromEntries(JSON.parse(key) as Array<[string, string]>)
      if (Object.entries(labels).every(([k, v]) => entries[k] === v)) sum += value
    }
    return sum
  }

  /** Every label set with its value, for logs and reports. */
  entries (): Array<{ labels: Record<string, string>, value: number }> {
    return [...this.#values].map(([key, value]) => ({ labels: Object.fromEntries(JSON.parse(key) as Array<[string, string]>), value }))
  }
}

export type MemoryP2PMetrics = { [K in keyof P2PMetrics]: P2PMetrics[K] extends P2PCounter<infer L> ? MemoryCounter<L> : never }

export function createMemoryP2PMetrics (): MemoryP2PMetrics {
  return {
    messagesOut: new MemoryCounter(),
    messagesIn: new MemoryCounter(),
    bytesOut: new MemoryCounter(),
    bytesIn: new MemoryCounter(),
    refused: new MemoryCounter(),
    dropped: new MemoryCounter(),
    chunkVerdicts: new MemoryCounter(),
    requests: new MemoryCounter(),
    dials: new MemoryCounter(),
    connectionsReplaced: new MemoryCounter(),
    rejected: new MemoryCounter(),
    bans: new MemoryCounter()
  }
}
