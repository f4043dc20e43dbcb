/**
 * The trust root the page checks slices against. By default the committee the node
 * reports in /v1/status, which only shows that the node's slices agree with its own
 * committee; a genesis.json the user loads (from a source they trust) pins it, and a node
 * reporting other keys is then flagged.
 */
import { bytesToHex, committeeFromGenesis, createVerifier, hexToBytes, type Committee, type SliceVerifier } from 'shared-sequencer-node/sdk'
import type { StatusJson } from './api.js'

export interface TrustRoot {
  source: 'node' | 'genesis'
  committee: Committee
  verifier: SliceVerifier
}

export function trustFromStatus (status: StatusJson): TrustRoot {
  const committeeKeys = status.committee.map((m) => {
    const key = hexToBytes(m.publicKey)
    if (key === null) throw new Error(`member ${m.index}'s public key is not hex`)
    return key
  })
  const committee = { chainId: status.chainId, committeeKeys }
  return { source: 'node', committee, verifier: createVerifier(committee) }
}

export function trustFromGenesis (text: string): TrustRoot {
  const committee = committeeFromGenesis(text)
  return { source: 'genesis', committee, verifier: createVerifier(committee) }
}

/** Same chain id and the same keys in the same order. */
export function sameCommittee (committee: Committee, status: StatusJson): boolean {
  return committee.chainId === status.chainId &&
    committee.committeeKeys.length === status.committee.length &&
    committee.committeeKeys.every((key, i) => bytesToHex(key) === status.committee[i]!.publicKey)
}
