/**
 * The SDK hands out slices with hex hashes and keys (browser-friendly, comparable with the
 * JSON API); the adapter API's executors (RollupExecutor, TokenRollup) take the wire form
 * with bytes. Same fields, same values: this only converts the encoding.
 */
import { hexToBytes, type VerifiedSlice as SdkSlice } from '../../src/client/index.js'
import type { VerifiedSlice as ExecutorSlice } from '../../src/rollup-adapters/index.js'

export function toExecutorSlice (slice: SdkSlice): ExecutorSlice {
  return {
    rollupId: slice.rollupId,
    height: slice.height,
    batchHash: bytes(slice.batchHash),
    timestamp: slice.timestamp,
    txs: slice.txs.map((leaf) => ({
      version: 1,
      txHash: bytes(leaf.txHash),
      actionIndex: leaf.actionIndex,
      actionCount: leaf.actionCount,
      sender: bytes(leaf.sender),
      payload: leaf.payload
    }))
  }
}

function bytes (hex: string): Uint8Array {
  const out = hexToBytes(hex)
  // The SDK made these strings from bytes, so this cannot happen short of a bug.
  if (out === null) throw new TypeError(`not hex: ${hex}`)
  return out
}
