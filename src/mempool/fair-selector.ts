/**
 * Weighted fair selection across rollup lanes: deficit round robin by bytes (Shreedhar &
 * Varghese, 1995). Each round a non-empty lane earns `weight * quantum` bytes of credit and
 * takes txs from its head while the credit covers them; an emptied lane loses its credit.
 * Over many batches each backlogged lane gets a share of bytes proportional to its weight,
 * whatever the other lanes' arrival rates, so one rollup's flood cannot starve another.
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

/** Removes and returns the selected entries, in selection order. */
export function selectFair<E extends SelectableEntry> (lanes: Array<SelectableLane<E>>, limits: SelectionLimits, quantumBytes: number): E[] {
  const out: E[] = []
  let bytes = 0
  let progressed = true
  while (out.length < limits.maxTxs && progressed) {
    progressed = false
    for (const lane of lanes) {
      if (lane.queue.length === 0) { lane.deficit = 0; continue }
      lane.deficit += lane.weight * quantumBytes
      let head = lane.queue.peek()
      while (head !== undefined && head.size <= lane.deficit && out.length < limits.maxTxs) {
        if (bytes + head.size > limits.maxBytes) return out
        lane.queue.shift()
        lane.deficit -= head.size
        bytes += head.size
        out.push(head)
        progressed = true
        head = lane.queue.peek()
      }
      if (lane.queue.length === 0) lane.deficit = 0
      // A lane whose head is bigger than its credit still counts as progress: it gains credit next round.
      if (head !== undefined) progressed = true
      if (out.length >= limits.maxTxs) break
    }
  }
  return out
}
