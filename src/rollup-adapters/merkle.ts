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
 * values of existing keys (the common case) only their paths are re-hashed; an insert or
 * delete rebuilds the levels.
 */
import { sha256 } from '../crypto/index.js'

const LEAF_PREFIX = Uint8Array.of(0x00)
const NODE_PREFIX = Uint8Array.of(0x01)

export const EMPTY_MERKLE_ROOT = sha256(new Uint8Array(0))

export function merkleLeafHash (entry: Uint8Array): Uint8Array {
  return sha256(Buffer.concat([LEAF_PREFIX, entry]))
}

function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Buffer.concat([NODE_PREFIX, left, right]))
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

export function hexOf (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
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
 */
export class MerkleTable<V> {
  readonly #entries = new Map<string, Entry<V>>()
  /** levels[0] = leaf hashes in key order; null after an insert or delete */
  #levels: Uint8Array[][] | null = null
  readonly #position = new Map<string, number>()
  readonly #dirty = new Set<string>()

  constructor (private readonly entryBytes: (key: Uint8Array, value: V) => Uint8Array) {}

  get size (): number {
    return this.#entries.size
  }

  get (key: Uint8Array): V | undefined {
    return this.#entries.get(hexOf(key))?.value
  }

  set (key: Uint8Array, value: V): void {
    const id = hexOf(key)
    const existing = this.#entries.get(id)
    const leafHash = merkleLeafHash(this.entryBytes(key, value))
    if (existing === undefined) {
      this.#entries.set(id, { key: Uint8Array.from(key), value, leafHash })
      this.#levels = null
    } else {
      existing.value = value
      existing.leafHash = leafHash
      this.#dirty.add(id)
    }
  }

  delete (key: Uint8Array): boolean {
    const removed = this.#entries.delete(hexOf(key))
    if (removed) this.#levels = null
    return removed
  }

  /** Entries in key order. */
  entries (): Array<{ key: Uint8Array, value: V }> {
    return [...this.#entries.keys()].sort().map((id) => this.#entries.get(id)!)
  }

  root (): Uint8Array {
    if (this.#levels === null) this.#rebuild()
    else this.#updateDirty()
    const levels = this.#levels!
    return levels[0]!.length === 0 ? EMPTY_MERKLE_ROOT : levels[levels.length - 1]![0]!
  }

  #rebuild (): void {
    const ids = [...this.#entries.keys()].sort()
    this.#position.clear()
    ids.forEach((id, i) => this.#position.set(id, i))
    const levels = [ids.map((id) => this.#entries.get(id)!.leafHash)]
    while (levels[levels.length - 1]!.length > 1) levels.push(parentLevel(levels[levels.length - 1]!))
    this.#levels = levels
    this.#dirty.clear()
  }

  #updateDirty (): void {
    if (this.#dirty.size === 0) return
    const levels = this.#levels!
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
        const left = parent * 2
        levels[l + 1]![parent] = left + 1 < level.length ? nodeHash(level[left]!, level[left + 1]!) : level[left]!
      }
      positions = up
    }
  }
}
