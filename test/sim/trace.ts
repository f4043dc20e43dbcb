/**
 * A compact event log: virtual time, replica, event kind, round and a short detail. Lines
 * are kept as tuples in a ring and formatted only when printed, so tracing costs little
 * in the common (passing) case; `live` prints every line as it happens (`--trace`).
 */

export interface TraceLine {
  at: number
  node: number
  kind: string
  round: number
  detail: string
}

export class Trace {
  readonly #ring: TraceLine[]
  #next = 0
  #count = 0

  constructor (readonly capacity: number, readonly live: ((line: string) => void) | null = null) {
    this.#ring = new Array<TraceLine>(capacity)
  }

  add (at: number, node: number, kind: string, round: number, detail = ''): void {
    const line = { at, node, kind, round, detail }
    this.#ring[this.#next] = line
    this.#next = (this.#next + 1) % this.capacity
    this.#count++
    if (this.live !== null) this.live(formatTraceLine(line))
  }

  get count (): number { return this.#count }

  /** The last `limit` lines, oldest first, formatted. */
  tail (limit = this.capacity): string[] {
    const kept = Math.min(this.#count, this.capacity, limit)
    const out: string[] = []
    for (let k = kept; k > 0; k--) {
      const line = this.#ring[(this.#next - k + this.capacity) % this.capacity]!
      out.push(formatTraceLine(line))
    }
    return out
  }
}

export function formatTraceLine (line: TraceLine): string {
  const who = line.node < 0 ? 'sim' : `r${line.node}`
  const round = line.round >= 0 ? ` round=${line.round}` : ''
  return `${String(line.at).padStart(7)}ms ${who.padEnd(3)} ${line.kind}${round}${line.detail === '' ? '' : ' ' + line.detail}`
}
