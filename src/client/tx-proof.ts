/**
 * The proof that a tx is final, as the SDK checks it: each of its actions is a leaf of its
 * rollup's slice at the height the node named, with the tx's hash, position, sender and
 * payload. The slices were verified against the committee already (commit proof and NMT
 * completeness), so together they prove the tx final and where.
 */
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { TxProofError } from './errors.js'
import type { BuiltTx } from './tx.js'
import type { VerifiedSlice } from './verify.js'

/** The rollups a tx touches, in the order of their first action. */
export function txRollups (tx: BuiltTx): number[] {
  return [...new Set(tx.tx.actions.map((a) => a.rollupId))]
}

/** Throws TxProofError unless every action of `tx` is in the verified slice of its rollup at `height`. */
export function checkTxInSlices (tx: BuiltTx, height: number, slices: VerifiedSlice[]): void {
  const sender = bytesToHex(tx.tx.sender)
  const { actions } = tx.tx
  actions.forEach((action, actionIndex) => {
    const slice = slices.find((s) => s.rollupId === action.rollupId && s.height === height)
    if (slice === undefined) throw new TxProofError(tx.hash, height, `no slice of rollup ${action.rollupId} was checked`)
    const leaf = slice.txs.find((l) => l.txHash === tx.hash && l.actionIndex === actionIndex)
    if (leaf === undefined) throw new TxProofError(tx.hash, height, `its action ${actionIndex} is not in rollup ${action.rollupId}'s slice`)
    if (leaf.actionCount !== actions.length || leaf.sender !== sender || !equalBytes(leaf.payload, action.payload)) {
      throw new TxProofError(tx.hash, height, `its action ${actionIndex} in rollup ${action.rollupId}'s slice differs from the tx`)
    }
  })
}
