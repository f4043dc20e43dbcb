export { ChainStore, MEMBER_WRITE_BEHIND_MS, type ChainHead, type ChainStoreOptions, type TxLocation, type FinalBatchRecord, type StoreSyncWrites, type StoreFault } from './chain-store.js'
export { StoreCorruptError, StoreError, StoreErrorCode, StoreWriteError, writeFaultCode } from './errors.js'
export { StoreFaults, InjectedWriteError, STORE_WRITE_PATHS, INJECTABLE_FAULT_CODES, defaultStoreFaultOptions, type StoreFaultOptions, type StoreWritePath, type InjectableFaultCode } from './fault-injection.js'
export { checkStoreIntegrity, defaultStartCheckHeights, type ChainRules, type IntegrityOptions, type IntegrityReport, type RuleCheck } from './integrity.js'
