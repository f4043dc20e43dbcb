/**
 * Child of level-rollup.test.ts: executes heights 0-4 of a kv rollup (0 and 2 with txs,
 * 1, 3 and 4 empty) on the folder named by argv[2], prints the last root, and dies by
 * SIGKILL without closing anything: what an unsynced rollup write leaves after a crash.
 */
import { KvRollup, encodeKvSet } from '../../src/rollup-adapters/index.js'
import { bytesToHex } from '../../src/crypto/index.js'
import { CHAIN, makeSlice } from './helpers.js'

const kv = new KvRollup({ rollupId: 2, dir: process.argv[2]!, chainId: CHAIN })
await kv.open()
let root = ''
for (let h = 0; h < 5; h++) {
  const payloads = h === 0 || h === 2 ? [encodeKvSet(Uint8Array.of(h), Uint8Array.of(h + 1))] : []
  root = bytesToHex((await kv.executeSlice(makeSlice(2, h, payloads))).stateRoot)
}
process.stdout.write(`${root}\n`)
process.kill(process.pid, 'SIGKILL')
