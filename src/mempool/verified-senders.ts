/**
 * Signatures this member checked itself at admission, by tx hash: the in-process rollups'
 * sender-proof check (src/batch/sender-proof.ts) skips the ed25519 verify of a leaf whose tx
 * hash and signature are here. Sound because the tx hash is the SHA-256 of the signed
 * message (sender included): a leaf whose fields hash to the same tx hash has the same
 * message and key, so the same signature verifies again. Only this member's own checks go
 * in, never another member's word (docs/SECURITY.md).
 *
 * Bounded, oldest first out: a tx is final (and its slice read) seconds after admission.
 */
import { equalBytes } from '../crypto/hex.js'

export class VerifiedSenders {
  readonly #signatures = new Map<string, Uint8Array>()

  constructor (private readonly max = 100_000) {}

  add (hashHex: string, signature: Uint8Array): void {
    if (this.#signatures.size >= this.max) this.#signatures.delete(this.#signatures.keys().next().value as string)
    // a copy: the received view would keep a whole request body alive
    this.#signatures.set(hashHex, signature.slice())
  }

  has (hashHex: string, signature: Uint8Array): boolean {
    const known = this.#signatures.get(hashHex)
    return known !== undefined && equalBytes(known, signature)
  }

  get size (): number {
    return this.#signatures.size
  }
}
