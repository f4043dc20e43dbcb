/** Rollup id <-> 8-byte NMT namespace (big-endian, so byte order is numeric order). */
import type { NamespaceCount } from '../codec/wire-types.js'
import { NAMESPACE_SIZE } from './nmt.js'

export function rollupNamespace (rollupId: number): Uint8Array {
  const out = new Uint8Array(NAMESPACE_SIZE)
  new DataView(out.buffer).setBigUint64(0, BigInt(rollupId))
  return out
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
