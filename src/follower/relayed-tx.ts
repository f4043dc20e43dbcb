/** Verdicts on txs another peer gossiped, by the stateless admission rules (mempool/tx-check.ts). */
import { decode, RelayBundleSchema } from '../codec/index.js'
import { AdmissionError, admissionVerdicts, type MempoolGenesis } from '../mempool/index.js'
import { checkTxStateless } from '../mempool/tx-check.js'

export type RelayVerdict = 'accept' | 'ignore' | 'reject'

/** The member that admits a relayed tx: one per tx, spread evenly by the hash of its bytes. */
export function relayHome (bytesHash: Uint8Array, committeeSize: number): number {
  return new DataView(bytesHash.buffer, bytesHash.byteOffset, 4).getUint32(0) % committeeSize
}

/** A tx another peer gossiped: the stateless rules decide; a final one is old news, not an offence. */
export function judgeRelayedTx (genesis: MempoolGenesis, bytes: Uint8Array, isFinal: (hash: Uint8Array) => boolean): RelayVerdict {
  try {
    const { hash } = checkTxStateless(genesis, bytes, Date.now())
    // [IGNORE] already final
    return isFinal(hash) ? 'ignore' : 'accept'
  } catch (err) {
    if (!(err instanceof AdmissionError)) throw err
    // [IGNORE] expired on the way (clocks differ by a little); [REJECT] a tx wrong in itself
    return admissionVerdicts[err.code] === 'IGNORE' ? 'ignore' : 'reject'
  }
}

/** The txs of a RelayBundle, or null when the message is not one. */
export function decodeRelayBundle (bytes: Uint8Array): Uint8Array[] | null {
  try {
    return decode(RelayBundleSchema, bytes).txs
  } catch {
    return null
  }
}

/**
 * One verdict for a bundle from its txs': [REJECT] any tx wrong in itself (an honest
 * follower checks every tx before it bundles it); [ACCEPT] (forward) when any tx is new;
 * [IGNORE] when every tx is old news.
 */
export function bundleVerdict (verdicts: Iterable<RelayVerdict>): RelayVerdict {
  let verdict: RelayVerdict = 'ignore'
  for (const v of verdicts) {
    if (v === 'reject') return 'reject'
    if (v === 'accept') verdict = 'accept'
  }
  return verdict
}

/** A bundle another follower gossiped: every tx checked, stopping at the first wrong one. */
export function judgeRelayedBundle (genesis: MempoolGenesis, bytes: Uint8Array, isFinal: (hash: Uint8Array) => boolean): RelayVerdict {
  const txs = decodeRelayBundle(bytes)
  // [REJECT] not a RelayBundle
  if (txs === null) return 'reject'
  const verdicts: RelayVerdict[] = []
  for (const tx of txs) {
    const verdict = judgeRelayedTx(genesis, tx, isFinal)
    if (verdict === 'reject') return 'reject'
    verdicts.push(verdict)
  }
  return bundleVerdict(verdicts)
}
