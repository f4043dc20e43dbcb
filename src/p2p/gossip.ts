/**
 * gossipsub settings for the committee's chunk topic.
 *
 * - StrictNoSign (~4.4x faster than StrictSign, STACK-NOTES): chunks carry their producer's
 *   signature in our own format, and the message id is the chunk id (see chunks.ts).
 * - Scoring: only the chunk validator's verdicts count (P4, invalid deliveries). Delivery-rate
 *   penalties (P3) are off because chunk traffic is bursty and a quiet member is not a bad
 *   one; IP colocation is off because a devnet runs the whole committee on one host and
 *   membership, not IP diversity, is our sybil defence; behaviour penalties (unanswered
 *   IWANTs) are off because an overloaded but honest member breaks those promises, and the
 *   graylist that earns would cut it off from chunks just when it is behind. Three rejects
 *   within about a second graylist a member (-10 * 3^2 = -90 < -80) from the next heartbeat
 *   on; the count halves every second, so only a member that keeps sending invalid chunks
 *   stays cut off.
 * - A connected non-member (only with `allowNonMemberConnections`) starts at -60: below the
 *   publish threshold (-50), so we never send it chunks, yet above the graylist, so what it
 *   sends still reaches validation and is rejected and counted.
 */
import { gossipsub, StrictNoSign, type GossipsubOpts } from '@libp2p/gossipsub'
import type { TopicScoreParams } from '@libp2p/gossipsub/score'
import { chunkMessageId, fastChunkMessageId, CHUNK_ID_BYTES } from './chunks.js'

/** Headroom for the RPC around one chunk (protobuf fields, control messages). */
const RPC_OVERHEAD_BYTES = 64 * 1024

export interface ChunkGossipOptions {
  topic: string
  maxMessageBytes: number
  isMember: (peerId: string) => boolean
  /** per-peer outbound buffer at which gossipsub resets the stream (a memory cap, not flow control) */
  maxOutboundBufferBytes: number
}

export function chunkGossipsub (opts: ChunkGossipOptions): ReturnType<typeof gossipsub> {
  const init: Partial<GossipsubOpts> = {
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: chunkMessageId,
    fastMsgIdFn: fastChunkMessageId,
    allowedTopics: [opts.topic],
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    doPX: false,
    // One RPC may carry a few messages (IWANT replies); single chunks are bounded in validation.
    maxInboundDataLength: 4 * (opts.maxMessageBytes + CHUNK_ID_BYTES) + RPC_OVERHEAD_BYTES,
    maxOutboundBufferSize: opts.maxOutboundBufferBytes,
    scoreParams: {
      IPColocationFactorWeight: 0,
      behaviourPenaltyWeight: 0,
      appSpecificScore: (peerId: string) => opts.isMember(peerId) ? 0 : -6,
      appSpecificWeight: 10,
      topics: {
        [opts.topic]: invalidOnlyTopicScore()
      }
    }
  }
  return gossipsub(init)
}

/** Topic score where only invalid messages count (P4); delivery-rate and mesh-time terms are off. */
export function invalidOnlyTopicScore (): TopicScoreParams {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 1,
    firstMessageDeliveriesWeight: 0,
    firstMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesCap: 1,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 1,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.5
  }
}
