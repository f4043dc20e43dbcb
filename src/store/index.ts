export { ChainStore, type ChainHead, type ChainStoreOptions, type TxLocation, type FinalBatchRecord, type StoreSyncWrites } from './chain-store.js'
export { StoreCorruptError, StoreError, StoreErrorCode } from './errors.js'
export { checkStoreIntegrity, defaultStartCheckHeights, type ChainRules, type IntegrityOptions, type IntegrityReport, type RuleCheck } from './integrity.js'
