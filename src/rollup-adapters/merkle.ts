/**
 * State roots of the built-in rollups: the RFC 6962 (Certificate Transparency) Merkle
 * tree hash over the state's entries sorted by key, so two nodes holding the same state
 * have the same root whatever order they reached it in.
 *
 *   leaf  = SHA-256(0x00 || entry bytes)
 *   inner = SHA-256(0x01 || left || right), the left subtree holding the largest power of
 *           two strictly below n leaves (the same split as our NMT)
 *   empty = SHA-256("")
 *
 * That tree is equal to building level by level, pairing neighbours and carrying an odd
 * last node up unchanged, which is how MerkleTable keeps it: when a height only changes
 * values of existing keys (the common case) only their paths are re-hashed; inserts and
 * deletes re-hash from the first leaf that moved.
 */
import { bytesToHex, sha256 } from '../crypto/index.js'

const LEAF_PREFIX = Uint8Array.of(0x00)
const NODE_PREFIX = Uint8Array.of(0x01)

export const EMPTY_MERKLE_ROOT = sha256(new Uint8Array(0))

export function merkleLeafHash (entry: Uint8Array): Uint8Array {
  return sha256(Buffer.concat([LEAF_PREFIX, entry]))
}

/** One scratch input for inner nodes: 0x01 || left || right (both 32 bytes), hashed in place. */
const NODE_INPUT = new Uint8Array(65)
NODE_INPUT[0] = NODE_PREFIX[0]!

function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  NODE_INPUT.set(left, 1)
  NODE_INPUT.set(right, 33)
  return sha256(NODE_INPUT)
}

function parentLevel (level: Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = []
  for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!)
  return up
}

/** RFC 6962 Merkle tree hash of leaf hashes given in order. */
export function merkleRoot (leafHashes: Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_MERKLE_ROOT
  let level = leafHashes
  while (level.length > 1) level = parentLevel(level)
  return level[0]!
}

interface Entry<V> {
  key: Uint8Array
  value: V
  leafHash: Uint8Array
}

/**
 * A key/value map (keys are bytes, ordered bytewise) that knows its Merkle root. Hex
 * strings of the keys order exactly like the bytes (fixed two characters per byte, and a
 * prefix sorts first), so the map is keyed and sorted by hex.
 *
 * root() brings the tree up to date with what changed since the last call: a changed value
 * re-hashes its path; inserts and deletes are merged into the sorted key list (no re-sort)
 * and every level is re-hashed only from the first position that moved, since nodes left
 * of it pair the same leaves as before. (Inserting at position p shifts every later leaf,
 * so with this root definition the work right of p is inherent.)
 */
export class MerkleTable<V> {
  readonly #entries = new Map<string, Entry<V>>()
  /** keys (hex) in order, as of the last root() */
  #ids: string[] = []
  /** levels[0] = leaf hashes in #ids order, up to the root */
  #levels: Uint8Array[][] = [[]]
  readonly #position = new Map<string, number>()
  /** keys in #ids whose value changed */
  readonly #dirty = new Set<string>()
  /** keys not in #ids yet */
  readonly #added = new Set<string>()
  /** keys in #ids that are gone */
  readonly #removed = new Set<string>()

  constructor (private readonly entryBytes: (key: Uint8Array, value: V) => Uint8Array) {}

  get size (): number {
    return this.#entries.size
  }

  get (key: Uint8Array): V | undefined {
    return this.#entries.get(bytesToHex(key))?.value
  }

  set (key: Uint8Array, value: V): void {
    const id = bytesToHex(key)
    const existing = this.#entries.get(id)
    const leafHash = merkleLeafHash(this.entryBytes(key, value))
    if (existing !== undefined) {
      existing.value = value
      existing.leafHash = leafHash
      if (!this.#added.has(id)) this.#dirty.add(id)
      return
    }
    this.#entries.set(id, { key: Uint8Array.from(key), value, leafHash })
    // Deleted and set again before root(): still at its place in #ids, only its leaf changed.
    if (this.#removed.delete(id)) this.#dirty.add(id)
    else this.#added.add(id)
  }

  delete (key: Uint8Array): boolean {
    const id = bytesToHex(key)
    if (!this.#entries.delete(id)) return false
    if (!this.#added.delete(id)) {
      this.#dirty.delete(id)
      this.#removed.add(id)
    }
    return true
  }

  /** Entries in key order. */
  entries (): Array<{ key: Uint8Array, value: V }> {
    return [...this.#entries.keys()].sort().map((id) => this.#entries.get(id)!)
  }

  root (): Uint8Array {
    if (this.#added.size > 0 || this.#removed.size > 0) this.#restructure()
    else this.#updateDirty()
    const levels = this.#levels
    return levels[0]!.length === 0 ? EMPTY_MERKLE_ROOT : levels[levels.length - 1]![0]!
  }

  /** Merges inserts and deletes into the key order and re-hashes from the first moved leaf. */
  #restructure (): void {
    const old = this.#ids
    const kept = this.#removed.size === 0 ? old : old.filter((id) => !this.#removed.has(id))
    const added = [...this.#added].sort()
    const ids = added.length === 0 ? kept : mergeSorted(kept, added)
    let first = 0
    const limit = Math.min(old.length, ids.length)
    while (first < limit && old[first] === ids[first]) first++
    // Below `first` the layout is unchanged: only changed values there need their paths.
    let points: number[] = []
    for (const id of this.#dirty) {
      const at = this.#position.get(id)!
      if (at < first) points.push(at)
    }
    points.sort((a, b) => a - b)
    for (const id of this.#removed) this.#position.delete(id)
    for (let i = first; i < ids.length; i++) this.#position.set(ids[i]!, i)
    const leaves = this.#levels[0]!
    leaves.length = ids.length
    for (const at of points) leaves[at] = this.#entries.get(ids[at]!)!.leafHash
    for (let i = first; i < ids.length; i++) leaves[i] = this.#entries.get(ids[i]!)!.leafHash
    const levels = this.#levels
    let start = first
    let l = 0
    while (levels[l]!.length > 1) {
      const level = levels[l]!
      const upLength = Math.ceil(level.length / 2)
      const up = levels[l + 1] ?? (levels[l + 1] = [])
      up.length = upLength
      const upStart = start >> 1
      const upPoints: number[] = []
      for (const at of points) {
        const parent = at >> 1
        if (parent >= upStart || upPoints[upPoints.length - 1] === parent) continue
        upPoints.push(parent)
      }
      for (const parent of upPoints) up[parent] = parentOf(level, parent)
      for (let parent = upStart; parent < upLength; parent++) up[parent] = parentOf(level, parent)
      points = upPoints
      start = upStart
      l++
    }
    levels.length = l + 1
    this.#ids = ids
    this.#added.clear()
    this.#removed.clear()
    this.#dirty.clear()
  }

  #updateDirty (): void {
    if (this.#dirty.size === 0) return
    const levels = this.#levels
    let positions = new Set<number>()
    for (const id of this.#dirty) {
      const at = this.#position.get(id)!
      levels[0]![at] = this.#entries.get(id)!.leafHash
      positions.add(at)
    }
    this.#dirty.clear()
    for (let l = 0; l + 1 < levels.length; l++) {
      const level = levels[l]!
      const up = new Set<number>()
      for (const at of positions) {
        const parent = at >> 1
        if (up.has(parent)) continue
        up.add(parent)
        levels[l + 1]![parent] = parentOf(level, parent)
      }
      positions = up
    }
  }
}

/** Node `parent` of the level above `level`: its pair hashed, or an odd last node carried up. */
function parentOf (level: Uint8Array[], parent: number): Uint8Array {
  const left = parent * 2
  return left + 1 < level.length ? nodeHash(level[left]!, level[left + 1]!) : level[left]!
}

function mergeSorted (a: string[], b: string[]): string[] {
  const out = new Array<string>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out
}
