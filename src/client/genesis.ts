/**
 * The trust root from a genesis file: the chain id and the committee keys in member
 * order. Only the fields a verifier needs are read (and checked); get the file from a
 * source you trust, not from the node you are checking.
 */
import { hexToBytes } from '../crypto/hex.js'
import { ClientError } from './errors.js'
import type { Committee } from './verify.js'

export const GENESIS_INVALID = 'GENESIS_INVALID'

const HEX_KEY = /^[0-9a-f]{64}$/

/** `genesis` is the parsed genesis.json or its text. Throws ClientError GENESIS_INVALID. */
export function committeeFromGenesis (genesis: unknown): Committee {
  let json = genesis
  if (typeof genesis === 'string') {
    try {
      json = JSON.parse(genesis)
    } catch (err) {
      invalid(`not JSON (${(err as Error).message})`)
    }
  }
  const { chainId, committee } = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>
  if (typeof chainId !== 'string' || chainId.length === 0) invalid('chainId must be a non-empty string')
  if (!Array.isArray(committee) || committee.length === 0) invalid('committee must be a non-empty list')
  const committeeKeys = committee.map((member: unknown, i) => {
    const key = (member as { publicKey?: unknown } | null)?.publicKey
    if (typeof key !== 'string' || !HEX_KEY.test(key)) invalid(`committee[${i}].publicKey must be 32 bytes of lowercase hex`)
    return hexToBytes(key)!
  })
  return { chainId, committeeKeys }
}

function invalid (message: string): never {
  throw new ClientError(GENESIS_INVALID, `genesis: ${message}`)
}
