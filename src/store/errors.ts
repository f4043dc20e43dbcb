import { CodedError, type ErrorDetails } from '../util/index.js'

export const StoreErrorCode = {
  OPEN_FAILED: 'STORE_OPEN_FAILED',
  WRONG_GENESIS: 'STORE_WRONG_GENESIS',
  CORRUPT: 'STORE_CORRUPT',
  NOT_CONTIGUOUS: 'STORE_NOT_CONTIGUOUS',
  CLOSED: 'STORE_CLOSED',
  WRITE_FAILED: 'STORE_WRITE_FAILED'
} as const
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode]

export class StoreError extends CodedError<StoreErrorCode> {
  constructor (code: StoreErrorCode, message: string, details?: ErrorDetails) {
    super(code, message, details)
    this.name = 'StoreError'
  }
}

/**
 * The data folder holds something the node did not write, or lost something it did:
 * level reports Corruption or a missing/short file, a stored value does not decode, or
 * the records disagree (head, hash chain, indexes). The node refuses to start on it and a
 * read raises it instead of serving the bytes. `problem` is the specific finding.
 */
export class StoreCorruptError extends StoreError {
  constructor (readonly dir: string, readonly problem: string) {
    super(StoreErrorCode.CORRUPT, `data folder ${dir} is corrupt: ${problem}`, { dir, problem })
    this.name = 'StoreCorruptError'
  }
}

/**
 * A write to the data folder failed (a full disk, an I/O error). `fault` is what the OS
 * said (ENOSPC, EIO, ...), `path` what was being written (fault-injection.ts lists them).
 */
export class StoreWriteError extends StoreError {
  constructor (readonly dir: string, readonly path: string, readonly fault: string, readonly detail: string) {
    super(StoreErrorCode.WRITE_FAILED, `writing the ${path} records to ${dir} failed: ${detail}`, { dir, path, fault })
    this.name = 'StoreWriteError'
  }
}

const OS_CODES = ['ENOSPC', 'EIO', 'EROFS', 'EDQUOT'] as const
/** LevelDB reports OS failures only in its message ("IO error: ...: No space left on device"). */
const OS_MESSAGES: Array<[RegExp, string]> = [
  [/no space left on device/i, 'ENOSPC'],
  [/input\/output error/i, 'EIO'],
  [/read-only file system/i, 'EROFS'],
  [/quota exceeded/i, 'EDQUOT']
]

/** The most precise code of a failed write: the OS's errno name when it can be told. */
export function writeFaultCode (err: unknown): string {
  const e = (err !== null && typeof err === 'object' ? err : {}) as { code?: unknown, message?: unknown, cause?: { code?: unknown, message?: unknown } }
  for (const code of [e.code, e.cause?.code]) if (typeof code === 'string' && (OS_CODES as readonly string[]).includes(code)) return code
  const text = `${String(e.message ?? '')} ${String(e.cause?.message ?? '')}`
  for (const [pattern, code] of OS_MESSAGES) if (pattern.test(text)) return code
  for (const code of [e.code, e.cause?.code]) if (typeof code === 'string') return code
  return 'UNKNOWN'
}
