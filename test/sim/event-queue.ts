/**
 * The scheduler's queue: a binary min-heap on (virtual time, insertion number), so events
 * at the same millisecond run in the order they were scheduled and a run is reproducible.
 */

interface Entry<T> {
  at: number
  seq: number
  item: T
}

export class EventQueue<T> {
  readonly #heap: Array<Entry<T>> = []
  #seq = 0

  get size (): number { return this.#heap.length }

  push (at: number, item: T): void {
    const heap = this.#heap
    heap.push({ at, seq: this.#seq++, item })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!, heap[parent]!)) break
      swap(heap, i, parent)
      i = parent
    }
  }

  /** The earliest entry, removed; undefined when empty. */
  pop (): { at: number, item: T } | undefined {
    const heap = this.#heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        swap(heap, i, m)
        i = m
      }
    }
    return { at: top.at, item: top.item }
  }

  peekTime (): number | undefined {
    return this.#heap[0]?.at
  }
}

function before<T> (a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

function swap<T> (heap: T[], i: number, j: number): void {
  const tmp = heap[i]!
  heap[i] = heap[j]!
  heap[j] = tmp
}
