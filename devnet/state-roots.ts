/**
 * Cross-checks toy-rollup state roots from several sources: each member's in-process
 * rollups (`GET /v1/rollups/state`, sampled) and the external rollup process (every height
 * it executes). Roots are comparable only at equal heights, so the book keeps, per rollup
 * and height, the first root seen and who reported it; any later different root at that
 * height is a conflict.
 */
export interface RootSample { rollupId: number, height: number, stateRoot: string }

export interface RootConflict extends RootSample {
  source: string
  /** the root another source reported first at this height */
  expected: string
  expectedFrom: string
}

/** Entries kept; older heights are forgotten first (a long devnet runs ~40 heights/s). */
const MAX_ENTRIES = 20_000

export class StateRootBook {
  readonly #byHeight = new Map<string, { stateRoot: string, sources: Set<string> }>()
  /** latest sample per source and rollup: `${source}/${rollupId}` */
  readonly latest = new Map<string, RootSample>()
  /** (rollup, height) pairs at least two sources reported */
  compared = 0
  conflict: RootConflict | null = null

  record (source: string, sample: RootSample): void {
    if (sample.height < 0) return
    this.latest.set(`${source}/${sample.rollupId}`, sample)
    const key = `${sample.rollupId}@${sample.height}`
    const seen = this.#byHeight.get(key)
    if (seen === undefined) {
      this.#byHeight.set(key, { stateRoot: sample.stateRoot, sources: new Set([source]) })
      if (this.#byHeight.size > MAX_ENTRIES) this.#byHeight.delete(this.#byHeight.keys().next().value!)
      return
    }
    if (seen.sources.has(source)) return
    seen.sources.add(source)
    if (seen.sources.size === 2) this.compared++
    if (seen.stateRoot !== sample.stateRoot) this.conflict ??= { ...sample, source, expected: seen.stateRoot, expectedFrom: [...seen.sources][0]! }
  }

  /** true: no conflict and something was compared; false: a conflict; null: nothing compared yet */
  agree (): boolean | null {
    if (this.conflict !== null) return false
    return this.compared > 0 ? true : null
  }

  /** Whether every given source's latest height of `rollupId` is the same. */
  aligned (rollupId: number, sources: string[]): boolean {
    const heights = sources.map((s) => this.latest.get(`${s}/${rollupId}`)?.height)
    return heights.every((h) => h !== undefined && h === heights[0])
  }
}
