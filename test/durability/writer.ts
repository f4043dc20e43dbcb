/**
 * Child process for the crash-consistency tests: runs what a one-member node writes to its
 * level store (the real ChainStore, Mempool with its WalWriter group commit, and
 * ConsensusDriver: safety state, pending blocks, final batches with their tx locations,
 * rollup index and WAL deletions) under a steady stream of signed txs, with no API and no
 * network. It reports on stdout, one line each, only what it has been told is durable:
 *   READY <head>                      the store opened and the parts started
 *   A <txHash>                        mempool.admit resolved (the tx is in the synced WAL)
 *   F <height> <batchHash>            putFinalBatch resolved
 *   S <voteRound> <qcRound> <proposedRound>   putSafetyState resolved
 *   DRAINED <head>                    (--drain) the mempool is empty
 * The parent SIGKILLs it at random moments (test/durability/crash-harness.ts).
 *
 * usage: writer.ts <dataDir> <seed> [--drain]
 */
import { decode, encode, SafetyStateSchema, TxSchema } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { ChainStore } from '../../src/store/index.js'
import { crashGenesis, mulberry32, startOrdering } from './crash-genesis.js'

const [dir, seedArg, mode] = process.argv.slice(2)
if (dir === undefined || seedArg === undefined) throw new Error('usage: writer.ts <dataDir> <seed> [--drain]')
const drain = mode === '--drain'
const random = mulberry32(Number(seedArg))
const say = (line: string): void => { process.stdout.write(line + '\n') }

const store = await ChainStore.open(dir, crashGenesis.hash)
// Report each durable write once its promise resolved, exactly as the node relies on it.
const putFinalBatch = store.putFinalBatch.bind(store)
store.putFinalBatch = async (record) => {
  await putFinalBatch(record)
  say(`F ${record.height} ${bytesToHex(record.hash)}`)
}
const putSafetyState = store.putSafetyState.bind(store)
store.putSafetyState = async (bytes) => {
  await putSafetyState(bytes)
  const s = decode(SafetyStateSchema, bytes)
  say(`S ${s.highestVoteRound} ${s.highestQcRound} ${s.lastProposedRound}`)
}

const { mempool, driver } = await startOrdering(store)
say(`READY ${store.head()?.height ?? -1}`)

if (drain) {
  while (mempool.stats().txs > 0) await new Promise((resolve) => setTimeout(resolve, 20))
  // Let the final batch of the last txs reach the store before reporting.
  await new Promise((resolve) => setTimeout(resolve, 200))
  say(`DRAINED ${store.head()?.height ?? -1}`)
  await driver.stop()
  await store.close()
  process.exit(0)
}

// Txs from a few senders, single actions and two-action bundles, eight in flight
// so that WAL appends group-commit and batches carry many txs.
const senders = Array.from({ length: 4 }, (_, i) => new Ed25519Signer(Uint8Array.from({ length: 32 }, (_, j) => (Number(seedArg) * 7 + i * 31 + j) & 0xff)))
let nonce = Number(seedArg) * 1_000_000
async function submitLoop (): Promise<void> {
  for (;;) {
    const rollups = [[1], [2], [1, 2]][Math.floor(random() * 3)]!
    const payload = Uint8Array.from({ length: 1 + Math.floor(random() * 120) }, () => Math.floor(random() * 256))
    const tx = signTx(crashGenesis.chainId, {
      actions: rollups.map((rollupId) => ({ rollupId, payload })),
      nonce: nonce++,
      expiry: Date.now() + 10 * 60_000
    }, senders[nonce % senders.length]!)
    try {
      const { hashHex } = await mempool.admit(encode(TxSchema, tx))
      say(`A ${hashHex}`)
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5)) // full: back off
    }
  }
}
for (let i = 0; i < 8; i++) void submitLoop()
