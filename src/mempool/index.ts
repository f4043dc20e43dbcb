export { Mempool, defaultMempoolOptions, type MempoolOptions, type MempoolEntry, type MempoolGenesis, type MempoolStore, type MempoolMetrics, type MempoolTxState } from './mempool.js'
export { AdmissionError, AdmissionErrorCode, admissionVerdicts, RETRYABLE_CODES } from './errors.js'
export { txHash, txSigningMessage, signTx, verifyTx } from './tx.js'
export { FairSelector } from './fair-selector.js'
