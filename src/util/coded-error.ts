/**
 * The one error base of the codebase (after Lodestar's `LodestarError`): a fixed `code`
 * from a per-domain enum (CodecErrorCode, StoreErrorCode, ...) that is also the metric
 * label, the API's error code and what tests assert, plus structured `details` for logs.
 * Each domain subclasses it once so `instanceof` still tells the domains apart.
 * Browser-safe: the SDK's errors extend it too.
 */
export type ErrorDetails = Readonly<Record<string, unknown>>

export class CodedError<Code extends string = string> extends Error {
  constructor (
    readonly code: Code,
    message: string,
    /** what a log line or a test wants beyond the code (a path, a height, a peer) */
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'CodedError'
  }

  /** The structured form for logs: code, message and details in one flat object. */
  toObject (): { code: Code, message: string } & ErrorDetails {
    return { ...this.details, code: this.code, message: this.message }
  }
}
