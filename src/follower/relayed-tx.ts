/** The verdict on a tx another peer gossiped, by the stateless admission rules (mempool/tx-check.ts). */
import { AdmissionError, admissionVerdicts, type MempoolGenesis } from '../mempool/index.js'
import { checkTxStateless } from '../mempool/tx-check.js'

/** A tx another peer gossiped: the stateless rules decide; a final one is old news, not an offence. */
export function judgeRelayedTx (genesis: MempoolGenesis, bytes: Uint8Array, isFinal: (hash: Uint8Array) => boolean): 'accept' | 'ignore' | 'reject' {
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
