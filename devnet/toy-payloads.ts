/**
 * Payloads the built-in toy rollups execute: token transfers from the devnet faucet (the
 * genesis account whose key `seqnode init` wrote to faucet.json) to fresh accounts, and kv
 * sets of random keys. Faucet transfers go to one node so their nonces stay in order.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { Ed25519Signer, bytesToHex, loadKeyFile } from '../src/crypto/index.js'
import { encodeKvSet, signTransfer } from '../src/rollup-adapters/index.js'
import type { RollupPayloads } from './load.js'

export async function toyPayloads (dataDir: string, tokenUrl: string, chainId: string, rollups: Array<{ id: number, name: string }>): Promise<Map<number, RollupPayloads>> {
  const out = new Map<number, RollupPayloads>()
  for (const rollup of rollups) {
    if (rollup.name === 'kv') out.set(rollup.id, { next: () => encodeKvSet(randomBytes(8), randomBytes(32)) })
    if (rollup.name === 'token') {
      let faucet: Ed25519Signer
      try {
        faucet = new Ed25519Signer((await loadKeyFile(join(dataDir, 'faucet.json'))).seed)
      } catch {
        continue // an older data folder without a faucet: random payloads (failed receipts)
      }
      const account = await (await fetch(new URL(`/v1/rollups/${rollup.id}/query/${bytesToHex(faucet.publicKey)}`, tokenUrl))).json() as { nonce?: number }
      let nonce = account.nonce ?? 0
      out.set(rollup.id, { pinnedUrl: tokenUrl, next: () => signTransfer(chainId, faucet, { to: randomBytes(32), amount: 1, nonce: nonce++ }) })
    }
  }
  return out
}
