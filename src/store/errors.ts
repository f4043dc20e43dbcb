export const StoreErrorCode = {
  OPEN_FAILED: 'STORE_OPEN_FAILED',
  WRONG_GENESIS: 'STORE_WRONG_GENESIS',
  CORRUPT: 'STORE_CORRUPT',
  NOT_CONTIGUOUS: 'STORE_NOT_CONTIGUOUS',
  CLOSED: 'STORE_CLOSED'
} as const
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode]

export class StoreError extends Error {
  constructor (readonly code: StoreErrorCode, message: string) {
    super(message)
    this.name = 'StoreError'
  }
}
