/**
 * Chunk envelopes and their validation, shared by both chunk transports. On the wire a
 * chunk is `id (32 bytes) || bytes`: gossipsub takes its message id from the first 32
 * bytes (StrictNoSign would otherwise use sha256(data) and drop identical payloads as
 * duplicates), and direct frames carry the same envelope so the validator sees the same
 * thing either way.
 */
import type { RPC } from '@libp2p/gossipsub/message'
import type { Message } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import { P2PErrorCode } from './errors.js'
import type { ChunkValidator, ChunkVerdict, P2PMetrics } from './types.js'

export const CHUNK_ID_BYTES = 32

export function chunkEnvelope (id: Uint8Array, bytes: Uint8Array): Uint8Array {
  const envelope = new Uint8Array(CHUNK_ID_BYTES + bytes.byteLength)
  envelope.set(id)
  envelope.set(bytes, CHUNK_ID_BYTES)
  return envelope
}

/** gossipsub `msgIdFn`: the chunk id. Shorter data (rejected by validation) is its own id. */
export function chunkMessageId (msg: Message): Uint8Array {
  return msg.data.subarray(0, CHUNK_ID_BYTES)
}

/** gossipsub `fastMsgIdFn`: the same id as a string, before the message is decoded further. */
export function fastChunkMessageId (msg: RPC.Message): string {
  const data = msg.data ?? new Uint8Array(0)
  return Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, CHUNK_ID_BYTES)).toString('base64')
}

export interface ChunkJudgement {
  verdict: ChunkVerdict
  /** 'validator' when the validator decided, else why we decided for it */
  reason: 'validator' | 'no_validator' | 'error' | P2PErrorCode
  /** what a failing validator threw, for the log */
  error?: unknown
}

/**
 * Checks the envelope, then asks the validator (which also consumes the chunk). Our own
 * failures (no validator yet, a validator that throws or answers nonsense) are IGNORE,
 * never REJECT: they must not cost an honest member its score.
 */
export function judgeChunk (
  validator: ChunkValidator | undefined, from: number, envelope: Uint8Array, maxMessageBytes: number
): ChunkJudgement {
  // [REJECT] a chunk envelope holds a 32-byte id
  if (envelope.byteLength < CHUNK_ID_BYTES) return { verdict: 'reject', reason: P2PErrorCode.MALFORMED }
  // [REJECT] the chunk is at most maxMessageBytes
  if (envelope.byteLength - CHUNK_ID_BYTES > maxMessageBytes) return { verdict: 'reject', reason: P2PErrorCode.TOO_LARGE }
  if (validator === undefined) return { verdict: 'ignore', reason: 'no_validator' }
  try {
    const verdict = validator(from, envelope.subarray(CHUNK_ID_BYTES), envelope.subarray(0, CHUNK_ID_BYTES))
    if (verdict === 'accept' || verdict === 'ignore' || verdict === 'reject') return { verdict, reason: 'validator' }
    return { verdict: 'ignore', reason: 'error' }
  } catch (error) {
    return { verdict: 'ignore', reason: 'error', error }
  }
}

export interface ChunkJudgementSink {
  metrics: P2PMetrics | null
  log: Logger | null
  /** scores a rejected chunk against the peer that handed it to us */
  reject: (peer: string, code: P2PErrorCode) => void
}

/** Counts a judgement under its topic (gossip topic or direct protocol id); a REJECT is scored against `peer`. */
export function recordChunkJudgement (sink: ChunkJudgementSink, topic: string, peer: string, { verdict, reason, error }: ChunkJudgement): void {
  sink.metrics?.chunkVerdicts.inc({ topic, verdict, reason })
  if (verdict === 'reject') sink.reject(peer, reason === 'validator' ? P2PErrorCode.CHUNK_INVALID : reason as P2PErrorCode)
  if (error !== undefined) sink.log?.error({ err: error }, 'the chunk validator threw; chunk ignored')
}
