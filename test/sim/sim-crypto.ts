/**
 * Committee keys for a simulated run: real ed25519 (src/crypto) or a fast stand-in.
 *
 * The stand-in signs with sha256(secret || message), doubled to the 64 bytes of a real
 * signature, and "verifies" by recomputing from a per-member secret table looked up by
 * public key. It is about 50x faster than ed25519 verification, keeps every signature
 * bound to its signer and message, and a random 64-byte signature fails as it would with
 * the real scheme. Batch hashes are always the real `batchHash` (sha256 of the encoding).
 */
import { createHash } from 'node:crypto'
import { batchHash } from '../../src/batch/index.js'
import { bytesToHex, Ed25519Signer, verifyEd25519 } from '../../src/crypto/index.js'
import type { VerifySignature } from '../../src/ordering/certificate.js'
import type { CoreCrypto } from '../../src/ordering/consensus-core.js'
import type { Prng } from './prng.js'

export interface SimCommittee {
  keys: Uint8Array[]
  /** a CoreCrypto per member (its own signing key) */
  crypto: CoreCrypto[]
  sign: Array<(message: Uint8Array) => Uint8Array>
  verify: VerifySignature
  real: boolean
}

function sha256 (...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

const STAND_IN_PK_TAG = new TextEncoder().encode('sim/stand-in-pk')

function standInSignature (secret: Uint8Array, message: Uint8Array): Uint8Array {
  const h = sha256(secret, message)
  const out = new Uint8Array(64)
  out.set(h, 0)
  out.set(h, 32)
  return out
}

export function makeCommittee (n: number, rng: Prng, real: boolean): SimCommittee {
  const seeds = Array.from({ length: n }, () => rng.bytes(32))
  if (real) {
    const signers = seeds.map((s) => new Ed25519Signer(s))
    const keys = signers.map((s) => s.publicKey)
    const sign = signers.map((s) => (m: Uint8Array) => new Uint8Array(s.sign(m)))
    return { keys, sign, verify: verifyEd25519, real, crypto: sign.map((s) => ({ sign: s, verify: verifyEd25519, batchHash })) }
  }
  const keys = seeds.map((s) => new Uint8Array(sha256(STAND_IN_PK_TAG, s)))
  const secretByKey = new Map(keys.map((k, i) => [bytesToHex(k), seeds[i]!]))
  const verify: VerifySignature = (publicKey, message, signature) => {
    if (signature.length !== 64) return false
    const secret = secretByKey.get(bytesToHex(publicKey))
    if (secret === undefined) return false
    const expected = standInSignature(secret, message)
    for (let i = 0; i < 64; i++) if (expected[i] !== signature[i]) return false
    return true
  }
  const sign = seeds.map((s) => (m: Uint8Array) => standInSignature(s, m))
  return { keys, sign, verify, real, crypto: sign.map((s) => ({ sign: s, verify, batchHash })) }
}
