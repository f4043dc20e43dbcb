/**
 * Key layout of the one level database (docs/ARCHITECTURE.md lists it). Heights and ids
 * are 8-byte big-endian so that byte order is numeric order for range scans.
 */
export const Prefix = {
  meta: 0x01,
  batch: 0x02,
  commitProof: 0x03,
  batchHeightByHash: 0x04,
  txLocation: 0x05,
  rollupHeight: 0x06,
  wal: 0x07,
  safety: 0x08,
  pendingBlock: 0x09
} as const

export const MetaKey = {
  head: 'head',
  genesis: 'genesis',
  formatVersion: 'format'
} as const

export function u64 (n: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}

export function readU64 (bytes: Uint8Array, offset = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset))
}

export function key (prefix: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 1
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  out[0] = prefix
  let at = 1
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

export function metaKey (name: string): Uint8Array {
  return key(Prefix.meta, new TextEncoder().encode(name))
}

export const batchKey = (height: number): Uint8Array => key(Prefix.batch, u64(height))
export const commitProofKey = (height: number): Uint8Array => key(Prefix.commitProof, u64(height))
export const batchHashKey = (hash: Uint8Array): Uint8Array => key(Prefix.batchHeightByHash, hash)
export const txLocationKey = (txHash: Uint8Array): Uint8Array => key(Prefix.txLocation, txHash)
export const rollupHeightKey = (rollupId: number, height: number): Uint8Array => key(Prefix.rollupHeight, u64(rollupId), u64(height))
export const walKey = (txHash: Uint8Array): Uint8Array => key(Prefix.wal, txHash)
export const safetyKey = (): Uint8Array => key(Prefix.safety)
export const pendingBlockKey = (hash: Uint8Array): Uint8Array => key(Prefix.pendingBlock, hash)
