/**
 * Follows each rollup's slice stream over WebSocket and matches the tx hashes it sees with
 * the load generator's submit times: submit -> final slice delivered, on the client clock.
 * When the node it follows goes away, it resumes from the next height on another node.
 */
import WebSocket from 'ws'
import hdr from 'hdr-histogram-js'

interface SliceMessage { height: number, txs: Array<{ txHash: string, actionIndex: number }> }

export class SliceWatcher {
  readonly latencyMs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 })
  readonly heights = new Map<number, number>()
  /** the same latency per rollup: one rollup's flood should not show in another's */
  readonly latencyByRollup = new Map<number, ReturnType<typeof hdr.build>>()
  committed = 0
  #closed = false
  readonly #sockets = new Set<WebSocket>()

  constructor (private readonly pending: Map<string, number>, private readonly urls: () => string[]) {}

  follow (rollupId: number, fromHeight: number, attempt = 0): void {
    if (this.#closed) return
    const urls = this.urls()
    if (urls.length === 0) { setTimeout(() => this.follow(rollupId, fromHeight, attempt + 1), 500); return }
    const url = urls[attempt % urls.length]!
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/rollups/${rollupId}/stream?from=${fromHeight}`)
    this.#sockets.add(ws)
    let next = fromHeight
    ws.on('message', (data: Buffer) => {
      const slice = JSON.parse(data.toString()) as SliceMessage
      next = slice.height + 1
      this.heights.set(rollupId, slice.height)
      const now = performance.now()
      for (const tx of slice.txs) {
        if (tx.actionIndex !== 0) continue
        const submittedAt = this.pending.get(tx.txHash)
        if (submittedAt === undefined) continue
        this.pending.delete(tx.txHash)
        this.committed++
        const ms = Math.max(1, Math.round(now - submittedAt))
        this.latencyMs.recordValue(ms)
        this.#rollupHistogram(rollupId).recordValue(ms)
      }
    })
    ws.on('error', () => {})
    ws.on('close', () => {
      this.#sockets.delete(ws)
      if (!this.#closed) setTimeout(() => this.follow(rollupId, next, attempt + 1), 200)
    })
  }

  #rollupHistogram (rollupId: number): ReturnType<typeof hdr.build> {
    let histogram = this.latencyByRollup.get(rollupId)
    if (histogram === undefined) {
      histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 })
      this.latencyByRollup.set(rollupId, histogram)
    }
    return histogram
  }

  close (): void {
    this.#closed = true
    for (const ws of this.#sockets) ws.terminate()
  }
}
