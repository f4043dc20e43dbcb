/**
 * ed25519 signing keys for tx senders, with noble (browser-safe; the node's hot paths use
 * node:crypto instead, see src/crypto/ed25519.ts). A `Signer` is also what the node's
 * `Ed25519Signer` looks like, so either can sign SDK txs.
 */
import { ed25519 } from '@noble/curves/ed25519.js'

export const SEED_LENGTH = 32

export interface Signer {
  readonly publicKey: Uint8Array
  sign (message: Uint8Array): Uint8Array
}

export interface SigningKey extends Signer {
  /** the 32-byte RFC 8032 secret seed: keep it secret */
  readonly seed: Uint8Array
}

/** A fresh random key (crypto.getRandomValues). */
export function generateSigningKey (): SigningKey {
  return signerFromSeed(ed25519.utils.randomSecretKey())
}

export function signerFromSeed (seed: Uint8Array): SigningKey {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) throw new TypeError(`seed must be ${SEED_LENGTH} bytes`)
  const secret = seed.slice()
  const publicKey = ed25519.getPublicKey(secret)
  return {
    seed: secret,
    publicKey,
    sign: (message) => ed25519.sign(message, secret)
  }
}

/**
 * Strict RFC 8032 verification (no ZIP-215 leniency), false for malformed input; never
 * throws. Small-order keys are refused where keys enter (see verify.ts).
 */
export function verifyEd25519 (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/** Why `publicKey` cannot be a committee key (not a curve point, or of small order), or null. */
export function publicKeyProblem (publicKey: Uint8Array): string | null {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return 'a public key must be 32 bytes'
  try {
    // A small-order key "verifies" forged signatures over any message.
    return ed25519.Point.fromBytes(publicKey).isSmallOrder() ? 'the public key is of small order' : null
  } catch {
    return 'the public key is not a curve point'
  }
}
