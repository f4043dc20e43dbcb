/**
 * `npm run rollup`: the token rollup as its own process, using only the SDK and the public
 * API. The worked example of docs/PLUG-IN-YOUR-ROLLUP.md; flags and printing are in
 * devnet/rollup/cli.ts (`npm run rollup -- --help`).
 */
import { WebSocket } from 'ws' // Node 20 has no global WebSocket
import { committeeFromGenesis, SequencerClient } from '../src/client/index.js'
import { TokenRollup } from '../src/rollup-adapters/index.js'
import { parseRollupArgs, reporter, stopOnSignals } from './rollup/cli.js'
import { toExecutorSlice } from './rollup/slice.js'

const args = await parseRollupArgs(process.argv.slice(2))
const out = reporter(args)

// 1. The trust root: chain id and committee keys from a genesis.json we trust. Every slice
//    is checked against it (finality certificate, NMT completeness, chain id) before we see it.
const committee = committeeFromGenesis(args.genesisText)
const client = new SequencerClient({ url: args.node, committee, WebSocket })

// 2. Our own state. Its durable commitment (last executed height + state root) is the
//    cursor: each height's state and commitment are written in one synced batch.
const rollup = new TokenRollup({ rollupId: args.rollupId, dir: args.data, chainId: committee.chainId, genesis: args.tokenGenesis })
let commitment = await rollup.open()
out.opened(commitment)

// 3. Follow verified slices from the next height, execute each one (empty ones too), persist.
//    A crash anywhere loses at most the height in flight, which step 2 re-reads as not done.
try {
  if (args.until === undefined || commitment.height < args.until) {
    const slices = client.slices(args.rollupId, commitment.height + 1, { signal: stopOnSignals(), onError: out.streamProblem })
    for await (const slice of slices) {
      commitment = await rollup.executeSlice(toExecutorSlice(slice))
      out.executed(slice, commitment)
      if (commitment.height === args.until) break
    }
  }
} catch (err) {
  // A slice that fails verification, a gap, or a failed write: stop, never skip. A restart
  // resumes from the durable commitment.
  out.failed(err, commitment.height + 1)
  process.exitCode = 1
} finally {
  await rollup.close()
}
