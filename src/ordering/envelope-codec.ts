/** The consensus message envelope: a versioned tuple of the message kind and the encoded message. */
import {
  CertificateSchema, ConsensusEnvelopeSchema, ConsensusKind, ProposalSchema, TimeoutSchema, VoteSchema, CodecError, CodecErrorCode, decode, encode
} from '../codec/index.js'
import type { ConsensusMessage } from './consensus-core.js'

export function encodeMessage (message: ConsensusMessage): Uint8Array {
  switch (message.kind) {
    case 'proposal': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.proposal, body: encode(ProposalSchema, message.proposal) })
    case 'vote': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.vote, body: encode(VoteSchema, message.vote) })
    case 'timeout': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.timeout, body: encode(TimeoutSchema, message.timeout) })
    case 'certificate': return encode(ConsensusEnvelopeSchema, { version: 1, kind: ConsensusKind.certificate, body: encode(CertificateSchema, message.certificate) })
  }
}

export function decodeMessage (bytes: Uint8Array): ConsensusMessage {
  const envelope = decode(ConsensusEnvelopeSchema, bytes)
  switch (envelope.kind) {
    case ConsensusKind.proposal: return { kind: 'proposal', proposal: decode(ProposalSchema, envelope.body) }
    case ConsensusKind.vote: return { kind: 'vote', vote: decode(VoteSchema, envelope.body) }
    case ConsensusKind.timeout: return { kind: 'timeout', timeout: decode(TimeoutSchema, envelope.body) }
    case ConsensusKind.certificate: return { kind: 'certificate', certificate: decode(CertificateSchema, envelope.body) }
    // a typed refusal like every other decode failure (found by the fuzzer: was a plain Error)
    default: throw new CodecError(CodecErrorCode.WRONG_SHAPE, `unknown consensus message kind ${envelope.kind}`)
  }
}
