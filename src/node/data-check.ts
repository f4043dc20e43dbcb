/**
 * The chain's rules as the store's integrity check needs them (src/store/integrity.ts), and
 * `seqnode check`: open a node's data folder read-mostly, check it, report.
 */
import { batchHash, batchTxs, nodeNmt, validateBatch } from '../batch/index.js'
import { decode, TxSchema } from '../codec/index.js'
import { verifyEd25519 } from '../crypto/index.js'
import { txHash } from '../batch/index.js'
import { verifyCommitProof } from '../ordering/index.js'
import { ChainStore, checkStoreIntegrity, type ChainRules, type IntegrityReport } from '../store/index.js'
import { join } from 'node:path'
import { loadNodeConfig } from './config.js'
import { loadGenesis, type Genesis } from './genesis.js'

export function chainRules (genesis: Pick<Genesis, 'chainId' | 'committeeKeys'>): ChainRules {
  const committee = { chainId: genesis.chainId, committeeKeys: genesis.committeeKeys }
  return {
    batchHash,
    txHashes: (batch) => batchTxs(batch).map((tx) => txHash(batch.header.chainId, tx)),
    validateBatch: (batch, seenBefore) => {
      const check = validateBatch(committee, batch, { nmt: nodeNmt, verifySignature: verifyEd25519, txHash }, seenBefore)
      return check.ok ? { ok: true, counted: check.counted.map((c) => c.hash), leaves: check.leaves, sliceLeaves: check.sliceLeaves } : check
    },
    verifyCommitProof: (header, hash, proof) => verifyCommitProof(committee, header, hash, proof, { batchHash, verifySignature: verifyEd25519 }),
    txHashOfBytes: (bytes) => txHash(genesis.chainId, decode(TxSchema, bytes))
  }
}

/** Full check of a data folder (every height, every key); throws StoreCorruptError on the first problem. */
export async function checkDataFolder (dataDir: string, genesis: Genesis, options: { recentHeights?: number } = {}): Promise<IntegrityReport> {
  const store = await ChainStore.open(dataDir, genesis.hash, { mustExist: true })
  try {
    return await checkStoreIntegrity(store, chainRules(genesis), options)
  } finally {
    await store.close()
  }
}

/** `seqnode check --config FILE | --home DIR`: prints a summary, throws (exit 1) on corruption. */
export async function checkCommand (opts: { config?: string, home?: string }): Promise<void> {
  if ((opts.config === undefined) === (opts.home === undefined)) throw new Error('give exactly one of --config <file> or --home <dir>')
  const config = await loadNodeConfig(opts.config ?? join(opts.home!, 'config.json'))
  const genesis = await loadGenesis(config.genesisFile)
  const started = performance.now()
  const report = await checkDataFolder(config.dataDir, genesis)
  const ms = Math.round(performance.now() - started)
  console.log(`seqnode: data folder ${config.dataDir} is consistent: heights 0..${report.head} (${report.heightsChecked} batches, ${report.countedTxs} txs, hash chain, commit proofs and indexes), ` +
    `${report.walEntries} WAL entries (${report.walAlreadyFinal} already final), ${report.pendingBlocks} pending blocks; ${ms} ms`)
}
