/**
 * The node's read routes the page uses (docs/API.md), with the JSON shapes it reads.
 * Paths are relative, so the page also works behind a reverse proxy under a prefix.
 */
import { SequencerApiError, type NodeStatus } from 'shared-sequencer-node/sdk'

/** `GET /v1/status`, as the SDK types it. */
export type StatusJson = NodeStatus

export interface HeaderJson {
  height: number
  round: number
  proposer: number
  timestamp: number
  namespaces: Array<{ rollupId: number, count: number }>
  txCount: number
}

export interface CommitProofJson {
  headers: HeaderJson[]
  certificate: { height: number, round: number, batchHash: string, signers: string, signatures: string[] }
}

export interface BatchJson {
  height: number
  hash: string
  header: HeaderJson
  finality: CommitProofJson
}

/** Only `encoded` is used: the page shows what the SDK verified, not the node's JSON view. */
export interface SliceRangeJson {
  slices: Array<{ encoded: string }>
  next: number
}

export async function getJson<T> (path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' })
  if (!res.ok) {
    const body = await res.json().catch(() => null) as { error?: { code?: string, message?: string } } | null
    throw new SequencerApiError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText, res.status)
  }
  return await res.json() as T
}

export function base64ToBytes (text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
