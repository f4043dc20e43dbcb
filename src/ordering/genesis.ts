/** The virtual genesis block (round 0, hash zero) that the first batch extends, and its certificate. */
import type { Certificate } from '../codec/index.js'
import { equalBytes } from '../crypto/hex.js'

export const ZERO_HASH = new Uint8Array(32)

export const GENESIS_QC: Certificate = { version: 1, height: 0, round: 0, batchHash: ZERO_HASH, signers: new Uint8Array(0), signatures: [] }

export function isGenesisQc (qc: Certificate): boolean {
  return qc.round === 0 && equalBytes(qc.batchHash, ZERO_HASH)
}
