/** Signer bitmaps: bit i (LSB first in each byte) for member i, exactly ceil(n/8) bytes. */

export function makeBitmap (members: Iterable<number>, n: number): Uint8Array {
  const bitmap = new Uint8Array(Math.ceil(n / 8))
  for (const i of members) bitmap[i >> 3]! |= 1 << (i & 7)
  return bitmap
}

/** Members set in the bitmap, ascending; null when the bitmap is malformed for n members. */
export function bitmapMembers (bitmap: Uint8Array, n: number): number[] | null {
  if (bitmap.length !== Math.ceil(n / 8)) return null
  const members: number[] = []
  for (let i = 0; i < bitmap.length * 8; i++) {
    if ((bitmap[i >> 3]! & (1 << (i & 7))) === 0) continue
    if (i >= n) return null
    members.push(i)
  }
  return members
}
