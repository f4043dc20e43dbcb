/**
 * Genesis: the chain's identity, committee, rollups and limits. Loaded from JSON and
 * validated with zod so a bad file gets a message that says which field is wrong.
 */
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { FormatLimits } from '../codec/index.js'
import { hexToBytes, sha256 } from '../crypto/index.js'
import { GenesisError } from './errors.js'

const hexKey = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex')

export const GenesisSchema = z.object({
  chainId: z.string().min(1).max(FormatLimits.maxChainIdLength).regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, dot, dash, underscore'),
  genesisTime: z.number().int().nonnegative(),
  committee: z.array(z.object({
    name: z.string().min(1).max(64),
    publicKey: hexKey
  }).strict()).min(1).max(FormatLimits.maxCommittee),
  rollups: z.array(z.object({
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    name: z.string().min(1).max(64).regex(/^[a-z][a-z0-9_-]*$/, 'lowercase name starting with a letter'),
    weight: z.number().int().min(1).max(1_000_000)
  }).strict()).min(1).max(FormatLimits.maxRollups),
  limits: z.object({
    maxPayloadBytes: z.number().int().min(1).max(FormatLimits.maxPayloadBytes),
    maxActionsPerTx: z.number().int().min(1).max(FormatLimits.maxActionsPerTx),
    maxTxBytes: z.number().int().min(128).max(FormatLimits.maxPayloadBytes * 2),
    maxBatchTxs: z.number().int().min(1).max(FormatLimits.maxTxsPerChunk),
    maxBatchBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
    maxExpiryWindowMs: z.number().int().min(1000)
  }).strict()
}).strict().superRefine((g, ctx) => {
  const ids = new Set(g.rollups.map((r) => r.id))
  if (ids.size !== g.rollups.length) ctx.addIssue({ code: 'custom', path: ['rollups'], message: 'rollup ids must be unique' })
  const names = new Set(g.rollups.map((r) => r.name))
  if (names.size !== g.rollups.length) ctx.addIssue({ code: 'custom', path: ['rollups'], message: 'rollup names must be unique' })
  const keys = new Set(g.committee.map((m) => m.publicKey))
  if (keys.size !== g.committee.length) ctx.addIssue({ code: 'custom', path: ['committee'], message: 'committee keys must be unique' })
  if (g.limits.maxTxBytes > g.limits.maxBatchBytes) ctx.addIssue({ code: 'custom', path: ['limits', 'maxTxBytes'], message: 'must not exceed maxBatchBytes' })
})

export type GenesisJson = z.infer<typeof GenesisSchema>

export interface Genesis extends GenesisJson {
  /** committee public keys as bytes, in member order */
  committeeKeys: Uint8Array[]
  /** sha256 of the canonical JSON; a data folder remembers it to refuse another chain's genesis */
  hash: Uint8Array
}

export function parseGenesis (json: unknown): Genesis {
  const result = GenesisSchema.safeParse(json)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')
    throw new GenesisError(`invalid genesis:\n${problems}`)
  }
  const g = result.data
  return {
    ...g,
    committeeKeys: g.committee.map((m) => hexToBytes(m.publicKey)!),
    hash: sha256(new TextEncoder().encode(JSON.stringify(g)))
  }
}

export async function loadGenesis (path: string): Promise<Genesis> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new GenesisError(`cannot read genesis ${path}: ${(err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new GenesisError(`genesis ${path} is not valid JSON: ${(err as Error).message}`)
  }
  return parseGenesis(json)
}
