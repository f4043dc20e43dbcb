/** Rollup id <-> 8-byte NMT namespace (big-endian, so byte order is numeric order). */
import { NAMESPACE_SIZE } from './nmt.js'

export function rollupNamespace (rollupId: number): Uint8Array {
  const out = new Uint8Array(NAMESPACE_SIZE)
  new DataView(out.buffer).setBigUint64(0, BigInt(rollupId))
  return out
}

export function namespaceRollupId (namespace: Uint8Array): number {
  return Number(new DataView(namespace.buffer, namespace.byteOffset, NAMESPACE_SIZE).getBigUint64(0))
}
