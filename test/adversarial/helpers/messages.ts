/**
 * Signed-but-wrong messages a Byzantine member (holding member 3's key) sends, and the
 * frames that carry them on the committee's direct-stream protocols.
 */
import { randomBytes } from 'node:crypto'
import {
  ChunkSchema, ConsensusEnvelopeSchema, ConsensusKind, ProposalSchema, TimeoutSchema, VoteSchema, encode, type BatchHeader
} from '../../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../../../src/crypto/index.js'
import { batchHash, chunkDigest } from '../../../src/batch/index.js'
import { signTx } from '../../../src/mempool/tx.js'
import { GENESIS_QC } from '../../../src/ordering/consensus-core.js'
import { voteMessage } from '../../../src/ordering/certificate.js'
import { proposalMessage, timeoutMessage } from '../../../src/ordering/signing.js'
import { encodeFrame } from '../../../src/p2p/framing.js'

export class ByzantineMessages {
  readonly #signer: Ed25519Signer

  constructor (readonly chainId: string, readonly self: number, seed: Uint8Array) {
    this.#signer = new Ed25519Signer(seed)
  }

  /** A well-formed proposal for `round`, signed by us, whoever leads that round. */
  /** `proposer`: the member the header names (another than us: a proposal passed off as another member's) */
  proposal (round: number, proposer = this.self): Uint8Array {
    const header: BatchHeader = {
      version: 1, chainId: this.chainId, height: 0, round, parentHash: new Uint8Array(32), proposer,
      timestamp: Date.now(), payloadRoot: new Uint8Array(48), namespaces: [], chunkDigests: [], txCount: 0
    }
    const signature = this.#signer.sign(proposalMessage(this.chainId, batchHash(header)))
    return envelope(ConsensusKind.proposal, encode(ProposalSchema, { version: 1, header, justify: GENESIS_QC, tc: [], signature }))
  }

  /** A vote for a batch nobody proposed; `badSignature` signs it with a stranger's key. */
  vote (height: number, round: number, opts: { badSignature?: boolean } = {}): Uint8Array {
    const body = { height, round, batchHash: randomBytes(32) }
    const signer = opts.badSignature === true ? new Ed25519Signer(generateKeyPair().seed) : this.#signer
    return envelope(ConsensusKind.vote, encode(VoteSchema, { version: 1, ...body, voter: this.self, signature: signer.sign(voteMessage(this.chainId, body)) }))
  }

  /** A correctly signed timeout; `round` 0 makes its high QC not below its round. */
  timeout (round: number): Uint8Array {
    const signature = this.#signer.sign(timeoutMessage(this.chainId, round, 0))
    return envelope(ConsensusKind.timeout, encode(TimeoutSchema, { version: 1, round, highQc: GENESIS_QC, voter: this.self, signature }))
  }

  /** A chunk of one valid tx, claiming us as origin, with a signature over other bytes. */
  chunkWithBadSignature (lane: number): Uint8Array {
    const tx = signTx(this.chainId, { actions: [{ rollupId: lane, payload: randomBytes(16) }], nonce: 1, expiry: Date.now() + 60_000 }, new Ed25519Signer(generateKeyPair().seed))
    const body = { version: 1 as const, origin: this.self, seq: 1, lane, txs: [tx] }
    const bytes = encode(ChunkSchema, { ...body, signature: this.#signer.sign(randomBytes(32)) })
    return encodeFrame(chunkDigest(this.chainId, body), bytes)
  }
}

function envelope (kind: number, body: Uint8Array): Uint8Array {
  return encodeFrame(encode(ConsensusEnvelopeSchema, { version: 1, kind, body }))
}

/** One frame of `n` random bytes (not a consensus envelope). */
export function garbageFrame (n: number): Uint8Array {
  return encodeFrame(randomBytes(n))
}

/** A frame prefix declaring `bytes` of body: refused before any of it is read. */
export function oversizedPrefix (bytes: number): Uint8Array {
  const out: number[] = []
  let v = bytes
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 0x80) }
  out.push(v)
  return Uint8Array.from(out)
}

/** Bytes that are no frame at all: a length varint longer than 5 bytes. */
export const OVERLONG_VARINT = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
