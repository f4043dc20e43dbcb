/** The one error every decoder throws: a fixed code (also a metric label) and a message. */
import { CodedError } from '../util/index.js'

export const CodecErrorCode = {
  MALFORMED: 'CODEC_MALFORMED',
  TOO_LARGE: 'CODEC_TOO_LARGE',
  WRONG_SHAPE: 'CODEC_WRONG_SHAPE',
  UNSUPPORTED_VERSION: 'CODEC_UNSUPPORTED_VERSION',
  NON_CANONICAL: 'CODEC_NON_CANONICAL'
} as const
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode]

export class CodecError extends CodedError<CodecErrorCode> {
  /** the message without the path */
  readonly detail: string

  constructor (code: CodecErrorCode, message: string, readonly path = '') {
    super(code, path === '' ? message : `${path}: ${message}`, path === '' ? {} : { path })
    this.detail = message
    this.name = 'CodecError'
  }
}
