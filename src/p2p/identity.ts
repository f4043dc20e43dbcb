/**
 * Committee identities: the libp2p key of a member is its genesis ed25519 key (same seed,
 * same public key), so a PeerId names exactly one member index and noise's handshake
 * proves the remote holds that member's key.
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { P2PError, P2PErrorCode } from './errors.js'

const ED25519_KEY_BYTES = 32

/** The libp2p private key for an ed25519 seed (RFC 8032 secret key, 32 bytes). */
export async function privateKeyFromSeed (seed: Uint8Array): Promise<PrivateKey> {
  if (seed.byteLength !== ED25519_KEY_BYTES) throw new P2PError(P2PErrorCode.BAD_CONFIG, 'ed25519 seed must be 32 bytes')
  return generateKeyPairFromSeed('Ed25519', seed)
}

export function peerIdFromCommitteeKey (publicKey: Uint8Array): PeerId {
  if (publicKey.byteLength !== ED25519_KEY_BYTES) throw new P2PError(P2PErrorCode.BAD_CONFIG, 'committee keys must be 32-byte ed25519 public keys')
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey))
}

/** Member index <-> PeerId, both ways. */
export class CommitteeDirectory {
  readonly peerIds: readonly PeerId[]
  readonly #indexByPeerId = new Map<string, number>()

  constructor (committeeKeys: readonly Uint8Array[]) {
    this.peerIds = committeeKeys.map(peerIdFromCommitteeKey)
    this.peerIds.forEach((peerId, index) => {
      const id = peerId.toString()
      if (this.#indexByPeerId.has(id)) throw new P2PError(P2PErrorCode.BAD_CONFIG, `committee key ${index} is a duplicate`)
      this.#indexByPeerId.set(id, index)
    })
  }

  get size (): number {
    return this.peerIds.length
  }

  /** The member index of a peer, or undefined for a non-member. */
  indexOf (peerId: PeerId | string): number | undefined {
    return this.#indexByPeerId.get(typeof peerId === 'string' ? peerId : peerId.toString())
  }

  peerId (index: number): PeerId {
    const peerId = this.peerIds[index]
    if (peerId === undefined) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `no committee member ${index}`)
    return peerId
  }
}
