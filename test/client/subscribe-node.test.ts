/**
 * Following a real node's slices across a crash: the node is SIGKILLed while txs are
 * submitted and two slow followers read the stream, then restarted on the same data
 * folder and port. The followers resume without a gap or a repeat, and every tx the
 * node acknowledged shows up exactly once.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { WebSocket } from 'ws'
import {
  committeeFromGenesis, createTxBuilder, generateSigningKey, SequencerClient, SliceStreamError, StreamErrorCode, type VerifiedSlice
} from '../../src/client/index.js'
import { freePorts, makeNodeHome } from '../helpers/node-process.js'
import { startLoad, startNodeOnPort } from './helpers.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until (condition: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
  }
}

t.test('followers resume across a SIGKILL restart without gaps or repeats', async (t) => {
  const [port] = await freePorts(1)
  const home = await makeNodeHome(t, { chainId: 'stream-e2e' })
  let node = await startNodeOnPort(t, home.configFile, port!)
  const committee = committeeFromGenesis(await readFile(home.genesisFile, 'utf8'))
  const client = new SequencerClient({ url: node.url, committee, WebSocket })
  const builder = createTxBuilder({ chainId: committee.chainId, signer: generateSigningKey() })

  // Load: a tx every 30 ms, for rollup 1, rollup 2, or both; remember what was acknowledged.
  const load = startLoad(async (tx) => await client.submit(tx), (i, payload) =>
    i % 3 === 0 ? builder.single(1, payload) : i % 3 === 1 ? builder.single(2, payload) : builder.bundle([{ rollupId: 1, payload }, { rollupId: 2, payload }]), 30)

  // Follower 1: subscribeSlices on rollup 1, 5 ms per slice.
  const delivered1: VerifiedSlice[] = []
  const errors: Error[] = []
  const sub = client.subscribeSlices({
    rollup: 1,
    from: 0,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    onError: (err) => { errors.push(err) },
    onSlice: async (slice) => { delivered1.push(slice); await sleep(5) }
  })
  // Follower 2: the iterator on rollup 2, with a buffer so small it pauses all the time.
  const delivered2: VerifiedSlice[] = []
  const stop2 = new AbortController()
  const follower2 = (async () => {
    const options = { maxBufferedBytes: 2048, reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, signal: stop2.signal }
    for await (const slice of client.slices(2, 0, options)) {
      delivered2.push(slice)
      await sleep(3)
    }
  })()

  await until(() => delivered1.length >= 10 && delivered2.length >= 10, () => `slices before the kill: ${delivered1.length} / ${delivered2.length}`)
  const heightBefore = (await client.status()).height
  await node.kill()
  t.comment(`killed at final height ${heightBefore}; delivered ${delivered1.length} / ${delivered2.length}`)
  await sleep(300)
  node = await startNodeOnPort(t, home.configFile, port!)
  await until(() => delivered1.length > heightBefore + 10 && delivered2.length > heightBefore + 10, () => `slices after the restart: ${delivered1.length} / ${delivered2.length}, errors ${errors.map((e) => e.message).join('; ')}`)
  const acked = await load.stop()

  const finals = await Promise.all(acked.map((tx) => client.waitFinal(tx.hash, { timeoutMs: 15_000 })))
  const top = Math.max(...finals.map((f) => f.height))
  await until(() => sub.nextHeight > top && (delivered2.at(-1)?.height ?? -1) >= top, () => `the followers to reach height ${top}: ${sub.nextHeight} / ${delivered2.at(-1)?.height}`)
  sub.close()
  await sub.done
  stop2.abort()
  await follower2

  const heights1 = delivered1.map((s) => s.height)
  const heights2 = delivered2.map((s) => s.height)
  t.same(heights1, Array.from({ length: heights1.length }, (_, h) => h), `rollup 1: heights 0..${heights1.length - 1}, each once, in order`)
  t.same(heights2, Array.from({ length: heights2.length }, (_, h) => h), `rollup 2: heights 0..${heights2.length - 1}, each once, in order`)
  t.ok(heights1.length > heightBefore + 10, 'the follower got well past the height of the kill')
  t.ok(errors.some((e) => e instanceof SliceStreamError && e.code === StreamErrorCode.DISCONNECTED), 'the disconnect was reported')
  t.same(errors.filter((e) => !(e instanceof SliceStreamError && e.code === StreamErrorCode.DISCONNECTED)), [], 'and nothing else went wrong')

  for (const [rollupId, delivered] of [[1, delivered1], [2, delivered2]] as const) {
    const seen = new Map<string, number>()
    for (const slice of delivered) for (const leaf of slice.txs) seen.set(`${leaf.txHash}/${leaf.actionIndex}`, (seen.get(`${leaf.txHash}/${leaf.actionIndex}`) ?? 0) + 1)
    t.same([...seen].filter(([, n]) => n > 1), [], `rollup ${rollupId}: no action delivered twice`)
    const expected = acked.flatMap((tx) => tx.tx.actions.flatMap((a, i) => a.rollupId === rollupId ? [`${tx.hash}/${i}`] : []))
    t.same(expected.filter((key) => !seen.has(key)), [], `rollup ${rollupId}: all ${expected.length} acknowledged actions were delivered`)
  }
})
