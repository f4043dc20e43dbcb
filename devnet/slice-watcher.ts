/**
 * Follows each rollup's slice stream over WebSocket and matches the tx hashes it sees with
 * the load generator's submit times: submit -> final slice delivered, on the client clock.
 */
import WebSocket from 'ws'
import hdr from 'hdr-histogram-js'

interface SliceMessage { height: number, txs: Array<{ txHash: string, actionIndex: number }> }

export class SliceWatcher {
  readonly latencyMs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 })
  readonly heights = new Map<number, number>()
  committed = 0
  readonly #sockets: WebSocket[] = []

  constructor (private readonly pending: Map<string, number>) {}

  follow (url: string, rollupId: number, fromHeight: number): void {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/rollups/${rollupId}/stream?from=${fromHeight}`)
    ws.on('message', (data: Buffer) => {
      const slice = JSON.parse(data.toString()) as SliceMessage
      this.heights.set(rollupId, slice.height)
      const now = performance.now()
      for (const tx of slice.txs) {
        if (tx.actionIndex !== 0) continue
        const submittedAt = this.pending.get(tx.txHash)
        if (submittedAt === undefined) continue
        this.pending.delete(tx.txHash)
        this.committed++
        this.latencyMs.recordValue(Math.max(1, Math.round(now - submittedAt)))
      }
    })
    ws.on('error', () => {})
    this.#sockets.push(ws)
  }

  close (): void {
    for (const ws of this.#sockets) ws.terminate()
  }
}
