/** Hex helpers with no node imports (shared with browser-side code): noble's, plus our null-on-garbage parse. */
import { bytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js'

export { bytesToHex }

/** Null when the string is not even-length hex (an optional 0x prefix is allowed). */
export function hexToBytes (hex: string): Uint8Array | null {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex
  try {
    return nobleHexToBytes(clean)
  } catch {
    return null
  }
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
