/** Rollup id <-> 8-byte NMT namespace (big-endian, so byte order is numeric order). */
import type { NamespaceCount } from '../codec/wire-types.js'
import { NAMESPACE_SIZE } from './nmt.js'

export function rollupNamespace (rollupId: number): Uint8Array {
  const out = new Uint8Array(NAMESPACE_SIZE)
  writeRollupNamespace(out, 0, rollupId)
  return out
}

/** Writes the namespace of `rollupId` (a safe integer >= 0) at `out[at..at+8]`; no BigInt (it ran once per action). */
export function writeRollupNamespace (out: Uint8Array, at: number, rollupId: number): void {
  const high = Math.floor(rollupId / 0x1_0000_0000)
  const low = rollupId >>> 0
  out[at] = high >>> 24; out[at + 1] = (high >>> 16) & 0xff; out[at + 2] = (high >>> 8) & 0xff; out[at + 3] = high & 0xff
  out[at + 4] = low >>> 24; out[at + 5] = (low >>> 16) & 0xff; out[at + 6] = (low >>> 8) & 0xff; out[at + 7] = low & 0xff
}

export function namespaceRollupId (namespace: Uint8Array): number {
  return Number(new DataView(namespace.buffer, namespace.byteOffset, NAMESPACE_SIZE).getBigUint64(0))
}

/** Index range [start, end) of a rollup's leaves, from the header's namespace table. */
export function namespaceRange (namespaces: NamespaceCount[], rollupId: number): { start: number, end: number } {
  let start = 0
  for (const ns of namespaces) {
    if (ns.rollupId === rollupId) return { start, end: start + ns.count }
    if (ns.rollupId > rollupId) break
    start += ns.count
  }
  return { start, end: start }
}
