/** An in-memory MempoolStore: the WAL as a Map, and a set of final tx hashes. */
import type { MempoolStore } from '../../src/mempool/index.js'

export class FakeMempoolStore implements MempoolStore {
  readonly wal = new Map<string, { hash: Uint8Array, bytes: Uint8Array }>()
  readonly final = new Set<string>()
  appends = 0

  async walAppend (entries: Array<{ hash: Uint8Array, bytes: Uint8Array }>): Promise<void> {
    this.appends++
    for (const e of entries) this.wal.set(Buffer.from(e.hash).toString('hex'), e)
  }

  async walRemove (hashes: Uint8Array[]): Promise<void> {
    for (const h of hashes) this.wal.delete(Buffer.from(h).toString('hex'))
  }

  async walEntries (): Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>> {
    return [...this.wal.values()]
  }

  async txLocation (hash: Uint8Array): Promise<unknown> {
    return this.final.has(Buffer.from(hash).toString('hex')) ? { height: 0, index: 0 } : null
  }
}
