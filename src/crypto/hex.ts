/** Hex helpers with no node imports (shared with browser-side code). */
const HEX = /^(?:[0-9a-fA-F]{2})*$/

export function bytesToHex (bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** Null when the string is not even-length hex. */
export function hexToBytes (hex: string): Uint8Array | null {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex
  if (!HEX.test(clean)) return null
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
