/** An in-process one-node chain (real store, mempool and orderer) for tests. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ed25519Signer, generateKeyPair, sha256, bytesToHex } from '../../src/crypto/index.js'
import { Mempool, defaultMempoolOptions, type MempoolGenesis } from '../../src/mempool/index.js'
import { SoloOrderer, type FinalBatchEvent } from '../../src/ordering/index.js'
import { ChainStore } from '../../src/store/index.js'
import { TEST_CHAIN } from './txs.js'

export const testGenesis: MempoolGenesis & { limits: { maxBatchTxs: number, maxBatchBytes: number } } = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'token', weight: 1 }, { id: 2, name: 'kv', weight: 1 }],
  limits: { maxPayloadBytes: 4096, maxActionsPerTx: 8, maxTxBytes: 16_384, maxExpiryWindowMs: 600_000, maxBatchTxs: 500, maxBatchBytes: 4 * 1024 * 1024 }
}

export const GENESIS_HASH = sha256(new TextEncoder().encode('test genesis'))

export interface SoloChain {
  dir: string
  signer: Ed25519Signer
  store: ChainStore
  mempool: Mempool
  orderer: SoloOrderer
  finals: FinalBatchEvent[]
  committee: { chainId: string, committeeKeys: Uint8Array[] }
  close: () => Promise<void>
}

export async function makeTempDir (): Promise<{ dir: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'seq-test-'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** Opens (or reopens) a chain in `dir`; `start: false` leaves the ordering loop off (call proposeNext). */
export async function openSoloChain (dir: string, opts: { seed?: Uint8Array, start?: boolean } = {}): Promise<SoloChain> {
  const seed = opts.seed ?? generateKeyPair().seed
  const signer = new Ed25519Signer(seed)
  const store = await ChainStore.open(join(dir, 'db'), GENESIS_HASH)
  const mempool = new Mempool(testGenesis, store, defaultMempoolOptions)
  await mempool.recover()
  const finals: FinalBatchEvent[] = []
  const orderer = new SoloOrderer({
    chainId: testGenesis.chainId,
    limits: testGenesis.limits,
    signer,
    store,
    mempool,
    onFinal: (e) => finals.push(e),
    onError: (err) => { throw err }
  }, { maxBatchDelayMs: 1, retryDelayMs: 10 })
  if (opts.start === false) await orderer.restore()
  else await orderer.start()
  return {
    dir,
    signer,
    store,
    mempool,
    orderer,
    finals,
    committee: { chainId: testGenesis.chainId, committeeKeys: [signer.publicKey] },
    close: async () => { await orderer.stop(); await store.close() }
  }
}

export const hex = bytesToHex
