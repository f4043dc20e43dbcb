/** Factory of the built-in toy rollups by kind. */
import { RollupError, RollupErrorCode } from './errors.js'
import { KvRollup } from './kv.js'
import { parseTokenGenesis, TokenRollup, type TokenAllocation } from './token.js'

export const BUILTIN_ROLLUP_KINDS = ['token', 'kv'] as const
export type BuiltinRollupKind = (typeof BUILTIN_ROLLUP_KINDS)[number]

export interface BuiltinRollupOptions {
  rollupId: number
  /** level folder of this rollup alone (created if missing) */
  dir: string
  chainId: string
  /** token: the allocation list (default none); kv: must be absent */
  genesis?: unknown
}

export function createBuiltinRollup (kind: 'token', opts: BuiltinRollupOptions): TokenRollup
export function createBuiltinRollup (kind: 'kv', opts: BuiltinRollupOptions): KvRollup
export function createBuiltinRollup (kind: string, opts: BuiltinRollupOptions): TokenRollup | KvRollup
export function createBuiltinRollup (kind: string, opts: BuiltinRollupOptions): TokenRollup | KvRollup {
  const { rollupId, dir, chainId } = opts
  switch (kind) {
    case 'token': {
      const genesis: TokenAllocation[] = parseTokenGenesis(opts.genesis ?? [])
      return new TokenRollup({ rollupId, dir, chainId, genesis })
    }
    case 'kv':
      if (opts.genesis !== undefined) throw new RollupError(RollupErrorCode.BAD_CONFIG, 'the kv rollup has no genesis')
      return new KvRollup({ rollupId, dir, chainId })
    default:
      throw new RollupError(RollupErrorCode.BAD_CONFIG, `unknown built-in rollup kind ${JSON.stringify(kind)} (known: ${BUILTIN_ROLLUP_KINDS.join(', ')})`)
  }
}
