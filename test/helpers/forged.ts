/**
 * What a Byzantine committee member can do with tx senders (docs/SECURITY.md): put into
 * its own, correctly signed chunk a tx that names a victim as sender but was not signed
 * by the victim. Members other than the ingress do not re-check tx signatures, so such a
 * chunk passes `checkChunk` and its txs are ordered; the sender proofs in the slice leaves
 * are what stops it from counting as the victim's.
 */
import { chunkSigningMessage } from '../../src/batch/index.js'
import { ChunkSchema, encode, type Action, type Chunk, type Tx } from '../../src/codec/index.js'
import type { Ed25519Signer } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { checkChunk, computePayload, type BlockPayload } from '../../src/ordering/block-payload.js'

/** A tx claiming `victim` as sender, signed by `forger` (so the signature is not the victim's). */
export function forgedTx (chainId: string, victim: Uint8Array, forger: Ed25519Signer, actions: Action[], nonce: number, expiry: number): Tx {
  const signed = signTx(chainId, { actions, nonce, expiry }, forger)
  return { ...signed, sender: victim }
}

/** A chunk of `txs` signed by committee member `origin`, as that member would gossip it. */
export function memberChunk (chainId: string, member: Ed25519Signer, origin: number, lane: number, txs: Tx[], seq = 0): Chunk {
  const body = { version: 1 as const, origin, seq, lane, txs }
  return { ...body, signature: member.sign(chunkSigningMessage(chainId, body)) }
}

/**
 * The payload the committee orders from `chunks`, after every member's gossip check
 * (which a forged tx passes); throws if a chunk would be refused.
 */
export function orderedPayload (chainId: string, committeeKeys: Uint8Array[], rollupIds: number[], chunks: Chunk[], timestamp: number): BlockPayload {
  const rules = { chainId, committeeKeys, rollupIds: new Set(rollupIds), maxActionsPerTx: 16, maxPayloadBytes: 64 * 1024, maxTxsPerChunk: 1000 }
  const checked = chunks.map((chunk) => {
    const check = checkChunk(rules, encode(ChunkSchema, chunk), 16 * 1024 * 1024)
    if (!check.ok) throw new Error(`a member would refuse the chunk: ${check.code}`)
    return check
  })
  return computePayload(checked.map((c) => c.chunk), checked.map((c) => Buffer.from(c.digest).toString('hex')), (i) => checked[i]!.txs, timestamp, () => false)
}
