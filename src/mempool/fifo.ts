/** An array-backed FIFO with O(1) amortised push/shift (Array#shift is O(n)). */
export class Fifo<T> {
  #items: Array<T | undefined> = []
  #head = 0

  get length (): number {
    return this.#items.length - this.#head
  }

  push (item: T): void {
    this.#items.push(item)
  }

  peek (): T | undefined {
    return this.#items[this.#head]
  }

  shift (): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Removes the items for which `pred` is true, keeping the order of the rest (O(n)). */
  removeWhere (pred: (item: T) => boolean): T[] {
    const removed: T[] = []
    const kept: T[] = []
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as T
      if (pred(item)) removed.push(item)
      else kept.push(item)
    }
    this.#items = kept
    this.#head = 0
    return removed
  }

  *[Symbol.iterator] (): Iterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i] as T
  }
}
