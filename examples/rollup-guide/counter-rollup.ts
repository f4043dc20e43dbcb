/**
 * A new rollup as its own process, using only the SDK package: it follows its slices from
 * a sequencer node (each verified against genesis: quorum certificate, 2-chain commit
 * proof, NMT completeness), counts each sender's actions, and persists that state with
 * its cursor, so a restart resumes at the next height. docs/ROLLUP-GUIDE.md walks through
 * it; test/examples/rollup-guide.test.ts runs it against a real node.
 *
 *   npx tsx counter-rollup.ts <node-url> <genesis.json> <rollup-id> <state.json> [until-height]
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { WebSocket } from 'ws' // Node 20 has no global WebSocket (browsers and Node 22+ do)
import { committeeFromGenesis, SequencerClient } from 'shared-sequencer-node/sdk'

const [url, genesisFile, rollupArg, stateFile, untilArg] = process.argv.slice(2)
if (stateFile === undefined) throw new Error('usage: counter-rollup <node-url> <genesis.json> <rollup-id> <state.json> [until-height]')
const rollupId = Number(rollupArg)
const until = untilArg === undefined ? Infinity : Number(untilArg)

// 1. The trust root: genesis' chain id and committee keys, from a file we trust (not the node).
const committee = committeeFromGenesis(readFileSync(genesisFile, 'utf8'))
const client = new SequencerClient({ url, committee, WebSocket })

// 2. State and cursor together: the last executed height and each sender's action count.
interface State { height: number, counts: Record<string, number> }
let state: State = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : { height: -1, counts: {} }
function save (next: State): void { // flushed, then renamed: the file holds one height or the next, never half of one
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(next), { flush: true })
  renameSync(`${stateFile}.tmp`, stateFile)
}

// 3. Verified slices from the next height on, in order, each once (reconnects are the SDK's job).
const stop = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort())
try {
  if (state.height < until) {
    for await (const slice of client.slices(rollupId, state.height + 1, { signal: stop.signal })) {
      const counts = { ...state.counts }
      for (const tx of slice.txs) counts[tx.sender] = (counts[tx.sender] ?? 0) + 1 // the rollup's rule
      state = { height: slice.height, counts }
      save(state)
      console.log(`height ${slice.height} txs ${slice.txs.length} senders ${Object.keys(counts).length}`)
      if (slice.height >= until) break
    }
  }
} catch (err) { // a slice that does not verify, a gap, a failed write: stop, never skip a height
  console.error(`stopped before height ${state.height + 1}: ${(err as Error).message}`)
  process.exitCode = 1
}
