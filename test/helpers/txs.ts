/** Builds signed txs for tests. */
import { randomBytes } from 'node:crypto'
import { encode, TxSchema, type Tx } from '../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'

export const TEST_CHAIN = 'test-chain'

export function newSigner (): Ed25519Signer {
  return new Ed25519Signer(generateKeyPair().seed)
}

let nonce = 0

export interface MakeTxOptions {
  chainId?: string
  rollups?: number[]
  payloadBytes?: number
  expiry?: number
  signer?: Ed25519Signer
  nonce?: number
}

export function makeTx (opts: MakeTxOptions = {}): { tx: Tx, bytes: Uint8Array } {
  const signer = opts.signer ?? defaultSigner
  const tx = signTx(opts.chainId ?? TEST_CHAIN, {
    actions: (opts.rollups ?? [1]).map((rollupId) => ({ rollupId, payload: randomBytes(opts.payloadBytes ?? 32) })),
    nonce: opts.nonce ?? nonce++,
    expiry: opts.expiry ?? Date.now() + 60_000
  }, signer)
  return { tx, bytes: encode(TxSchema, tx) }
}

const defaultSigner = newSigner()
