/** Why a node refuses to start: its config, its genesis, or the two disagree with its key or data. */
import { CodedError } from '../util/index.js'

export const NodeErrorCode = {
  /** the node config is invalid or unreadable */
  BAD_CONFIG: 'NODE_BAD_CONFIG',
  /** the genesis file is invalid or unreadable */
  BAD_GENESIS: 'NODE_BAD_GENESIS',
  /** config, key and genesis are each valid but do not fit together */
  START_FAILED: 'NODE_START_FAILED'
} as const
export type NodeErrorCode = (typeof NodeErrorCode)[keyof typeof NodeErrorCode]

export class ConfigError extends CodedError<NodeErrorCode> {
  constructor (message: string) {
    super(NodeErrorCode.BAD_CONFIG, message)
    this.name = 'ConfigError'
  }
}

export class GenesisError extends CodedError<NodeErrorCode> {
  constructor (message: string) {
    super(NodeErrorCode.BAD_GENESIS, message)
    this.name = 'GenesisError'
  }
}

export class NodeStartError extends CodedError<NodeErrorCode> {
  constructor (message: string, options?: { cause?: unknown }) {
    super(NodeErrorCode.START_FAILED, message, {}, options)
    this.name = 'NodeStartError'
  }
}
