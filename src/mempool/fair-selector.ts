/**
 * Weighted fair selection across rollup lanes: deficit round robin by bytes (Shreedhar &
 * Varghese, 1995). On each visit a non-empty lane earns `weight * quantum` bytes of credit
 * and takes txs from its head while the credit covers them; an emptied lane loses its
 * credit. The round-robin position survives across batches (a batch that fills up in the
 * middle of a lane's visit resumes there next time), so batch boundaries favour no lane.
 * Over many batches each backlogged lane gets a share of bytes proportional to its weight,
 * whatever the other lanes' arrival rates: one rollup's flood cannot starve another.
 */
import type { Fifo } from './fifo.js'

export interface SelectableEntry {
  size: number
}

export interface SelectableLane<E extends SelectableEntry> {
  weight: number
  queue: Fifo<E>
  /** DRR credit in bytes, carried across batches while the lane stays backlogged */
  deficit: number
}

export interface SelectionLimits {
  maxTxs: number
  maxBytes: number
}

export class FairSelector<E extends SelectableEntry> {
  #cursor = 0
  /** whether the lane at the cursor already got its credit for this visit */
  #credited = false

  constructor (private readonly lanes: Array<SelectableLane<E>>, private readonly quantumBytes: number) {}

  /** Removes and returns the selected entries, in selection order. */
  select (limits: SelectionLimits): E[] {
    const out: E[] = []
    let bytes = 0
    const lanes = this.lanes
    while (out.length < limits.maxTxs && lanes.some((l) => l.queue.length > 0)) {
      const lane = lanes[this.#cursor]!
      if (lane.queue.length > 0) {
        if (!this.#credited) {
          lane.deficit += lane.weight * this.quantumBytes
          this.#credited = true
        }
        let head = lane.queue.peek()
        while (head !== undefined && head.size <= lane.deficit) {
          if (out.length >= limits.maxTxs || bytes + head.size > limits.maxBytes) return out
          lane.queue.shift()
          lane.deficit -= head.size
          bytes += head.size
          out.push(head)
          head = lane.queue.peek()
        }
      }
      if (lane.queue.length === 0) lane.deficit = 0
      this.#cursor = (this.#cursor + 1) % lanes.length
      this.#credited = false
    }
    return out
  }
}
