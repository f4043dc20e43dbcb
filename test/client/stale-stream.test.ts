/**
 * A stream that goes silent is noticed: a real node process sends heartbeats to the SDK's
 * slice stream; the node is frozen (SIGSTOP) mid-stream, the SDK reports `stale` within a
 * few heartbeat intervals and keeps reconnecting; once the node goes on (SIGCONT) the
 * stream resumes, and every height arrives exactly once, in order, with every action the
 * node acknowledged. An idle chain keeps the stream alive on heartbeats alone.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { WebSocket } from 'ws'
import {
  committeeFromGenesis, createTxBuilder, generateSigningKey, SequencerClient, SliceStreamError, StreamErrorCode,
  type StaleInfo, type StreamHeartbeat, type VerifiedSlice
} from '../../src/client/index.js'
import { makeNodeHome, patchJsonFile, startNodeProcess } from '../helpers/node-process.js'
import { startLoad } from './helpers.js'

const HEARTBEAT_MS = 300
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until (condition: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
  }
}

async function heartbeatHome (t: Parameters<typeof makeNodeHome>[0]): Promise<Awaited<ReturnType<typeof makeNodeHome>>> {
  const home = await makeNodeHome(t, { chainId: 'stale-e2e' })
  const config = JSON.parse(await readFile(home.configFile, 'utf8')) as { api: Record<string, unknown> }
  await patchJsonFile(home.configFile, { api: { ...config.api, streamHeartbeatMs: HEARTBEAT_MS } })
  return home
}

t.test('an idle rollup: heartbeats keep the stream alive, and carry the final height', async (t) => {
  const home = await heartbeatHome(t)
  const node = await startNodeProcess(t, home.configFile)
  const committee = committeeFromGenesis(await readFile(home.genesisFile, 'utf8'))
  const client = new SequencerClient({ url: node.url, committee, WebSocket })
  const heartbeats: StreamHeartbeat[] = []
  const stale: StaleInfo[] = []
  const sub = client.subscribeSlices({ rollup: 1, from: 0, onSlice: () => {}, onHeartbeat: (h) => { heartbeats.push(h) }, onStale: (s) => { stale.push(s) } })
  t.teardown(() => sub.close())
  await until(() => heartbeats.length >= 6, () => `6 heartbeats, got ${heartbeats.length}`)
  t.same(stale, [], 'six heartbeats (two stale timeouts) on a chain with nothing to send: never stale')
  t.equal(heartbeats[0]!.intervalMs, HEARTBEAT_MS, 'the server announces its interval')
  t.equal(heartbeats.at(-1)!.finalHeight, (await client.status()).height, 'and its final height')
  t.ok(Math.abs(heartbeats.at(-1)!.serverTime - Date.now()) < 60_000, 'and its clock')
  sub.close()
  await sub.done
})

t.test('SIGSTOP mid-stream: stale, reconnects, and after SIGCONT every height exactly once', async (t) => {
  const home = await heartbeatHome(t)
  const node = await startNodeProcess(t, home.configFile)
  const committee = committeeFromGenesis(await readFile(home.genesisFile, 'utf8'))
  const client = new SequencerClient({ url: node.url, committee, WebSocket })
  // submits time out fast while the node is frozen; those are not counted as acknowledged
  const submitter = new SequencerClient({ url: node.url, requestTimeoutMs: 1000 })
  const builder = createTxBuilder({ chainId: committee.chainId, signer: generateSigningKey() })

  const load = startLoad(async (tx) => await submitter.submit(tx), (i, payload) =>
    i % 2 === 0 ? builder.single(1, payload) : builder.bundle([{ rollupId: 1, payload }, { rollupId: 2, payload }]), 20)

  const delivered: VerifiedSlice[] = []
  const stale: Array<StaleInfo & { at: number }> = []
  const errors: Error[] = []
  const sub = client.subscribeSlices({
    rollup: 1,
    from: 0,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    onSlice: async (slice) => { delivered.push(slice); await sleep(2) },
    onStale: (info) => { stale.push({ ...info, at: Date.now() }) },
    onError: (err) => { errors.push(err) }
  })
  t.teardown(() => sub.close())

  await until(() => delivered.length >= 10, () => `10 slices before the freeze, got ${delivered.length}`)
  node.child.kill('SIGSTOP')
  const frozenAt = Date.now()
  const deliveredAtFreeze = delivered.length
  await until(() => stale.length >= 2, () => `two stale reports while frozen (the stream and a reconnect attempt), got ${stale.length}`)
  t.ok(stale[0]!.nextHeight >= deliveredAtFreeze, `stale ${stale[0]!.at - frozenAt} ms after the freeze, waiting for height ${stale[0]!.nextHeight}`)
  t.equal(stale[0]!.silentMs, 3 * HEARTBEAT_MS, 'stale after 3 of the announced heartbeat intervals')
  node.child.kill('SIGCONT')

  await until(() => delivered.length > deliveredAtFreeze + 10, () => `slices after SIGCONT: ${delivered.length} (had ${deliveredAtFreeze})`)
  const acked = await load.stop()
  const finals = await Promise.all(acked.map(async (tx) => await client.waitFinal(tx.hash, { timeoutMs: 20_000 })))
  const top = Math.max(...finals.map((f) => f.height))
  await until(() => sub.nextHeight > top, () => `the stream to pass height ${top}: at ${sub.nextHeight}`)
  sub.close()
  await sub.done

  const heights = delivered.map((s) => s.height)
  t.same(heights, Array.from({ length: heights.length }, (_, h) => h), `heights 0..${heights.length - 1}, each exactly once, in order`)
  t.ok(errors.some((e) => e instanceof SliceStreamError && e.code === StreamErrorCode.STALE), 'onError heard STREAM_STALE')
  t.same(errors.filter((e) => !(e instanceof SliceStreamError && (e.code === StreamErrorCode.STALE || e.code === StreamErrorCode.DISCONNECTED))), [], 'and nothing but stale and disconnects')
  const seen = new Map<string, number>()
  for (const slice of delivered) for (const leaf of slice.txs) seen.set(`${leaf.txHash}/${leaf.actionIndex}`, (seen.get(`${leaf.txHash}/${leaf.actionIndex}`) ?? 0) + 1)
  t.same([...seen].filter(([, n]) => n > 1), [], 'no action delivered twice')
  const expected = acked.map((tx) => `${tx.hash}/0`)
  t.same(expected.filter((key) => !seen.has(key)), [], `all ${expected.length} acknowledged rollup-1 actions delivered`)
})
