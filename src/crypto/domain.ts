/**
 * Domain separation for every hash and signature of the protocol.
 *
 * A signed or hashed message is `len(tag) || tag || len(chainId) || chainId || body`, so a
 * vote can never be replayed as a chunk, nor anything from one chain on another.
 * Pure code with no node imports: the browser-side client uses it too.
 */

export const DomainTag = {
  tx: 'seq/tx/v1',
  chunk: 'seq/chunk/v1',
  batch: 'seq/batch/v1',
  vote: 'seq/vote/v1',
  timeout: 'seq/timeout/v1',
  proposal: 'seq/proposal/v1'
} as const
export type DomainTag = (typeof DomainTag)[keyof typeof DomainTag]

const utf8 = new TextEncoder()

export function domainMessage (tag: DomainTag, chainId: string, body: Uint8Array): Uint8Array {
  return taggedMessage(tag, chainId, body)
}

/** The layout of `domainMessage` for any tag (rollups use their own tags with it). */
export function taggedMessage (tag: string, chainId: string, body: Uint8Array): Uint8Array {
  const prefix = taggedPrefix(tag, chainId)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

/** `len(tag) || tag || len(chainId) || chainId`: what precedes the body (hash it together with the body). */
export function domainPrefix (tag: DomainTag, chainId: string): Uint8Array {
  return taggedPrefix(tag, chainId)
}

/** A node sees one or two chain ids and a handful of tags: encoding them per message was a visible share of signing and hashing. */
const prefixes = new Map<string, Uint8Array>()
const MAX_CACHED_PREFIXES = 256

function taggedPrefix (tag: string, chainId: string): Uint8Array {
  const key = `${tag}\u0000${chainId}`
  let prefix = prefixes.get(key)
  if (prefix !== undefined) return prefix
  const tagBytes = utf8.encode(tag)
  const chainBytes = utf8.encode(chainId)
  if (tagBytes.length > 255 || chainBytes.length > 255) throw new RangeError('tag and chain id must be at most 255 bytes')
  prefix = new Uint8Array(2 + tagBytes.length + chainBytes.length)
  prefix[0] = tagBytes.length
  prefix.set(tagBytes, 1)
  prefix[1 + tagBytes.length] = chainBytes.length
  prefix.set(chainBytes, 2 + tagBytes.length)
  if (prefixes.size >= MAX_CACHED_PREFIXES) prefixes.clear()
  prefixes.set(key, prefix)
  return prefix
}
