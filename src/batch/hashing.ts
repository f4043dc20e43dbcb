/** Hashes and signing messages of chunks and batch headers (domain-separated, see crypto/domain). */
import { encode, BatchHeaderSchema, ChunkBodySchema, type BatchHeader, type ChunkBody } from '../codec/index.js'
import { DomainTag, domainPrefix, sha256 } from '../crypto/index.js'

export function chunkSigningMessage (chainId: string, chunk: ChunkBody): Uint8Array {
  return encode(ChunkBodySchema, chunk, domainPrefix(DomainTag.chunk, chainId))
}

export function chunkDigest (chainId: string, chunk: ChunkBody): Uint8Array {
  return sha256(chunkSigningMessage(chainId, chunk))
}

export function batchHash (header: BatchHeader): Uint8Array {
  return sha256(encode(BatchHeaderSchema, header, domainPrefix(DomainTag.batch, header.chainId)))
}
