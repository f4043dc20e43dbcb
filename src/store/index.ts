export { ChainStore, type ChainHead, type TxLocation, type FinalBatchRecord } from './chain-store.js'
export { StoreError, StoreErrorCode } from './errors.js'
