/**
 * subscribeSlices and slices() against a scripted WebSocket server replaying a chain
 * built in-process: in-order delivery across server-side closes, backpressure by
 * pause-and-resume, and every protocol violation (repeat, gap, a slice that does not
 * verify, a refusal, a text message) ending the stream with its error, the bad slice
 * never delivered.
 */
import t, { type Test } from 'tap'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { decode, encode, SliceSchema } from '../../src/codec/index.js'
import {
  SequencerClient, SliceErrorCode, SliceStreamError, SliceVerificationError, StreamErrorCode, type SubscribeOptions, type VerifiedSlice
} from '../../src/client/index.js'
import { makeChain } from './fixtures.js'

const LENGTH = 12
const chain = makeChain(LENGTH)
const committee = { chainId: chain.chainId, committeeKeys: chain.committeeKeys }
const slices1 = chain.slices.get(1)!
const fast = { initialDelayMs: 5, maxDelayMs: 20 }
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

type Serve = (socket: WebSocket, from: number, connection: number) => void | Promise<void>

/** A WebSocket server on 127.0.0.1 that hands each connection (and its `from`) to `serve`. */
async function fakeServer (t: Test, serve: Serve): Promise<{ client: SequencerClient, froms: number[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise((resolve) => wss.once('listening', resolve))
  const froms: number[] = []
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const url = new URL(request.url ?? '/', 'http://x')
    if (url.searchParams.get('format') !== 'msgpack' || url.pathname !== '/v1/rollups/1/stream') socket.close(1008, 'bad request')
    const from = Number(url.searchParams.get('from'))
    froms.push(from)
    void serve(socket, from, froms.length)
  })
  t.teardown(async () => {
    for (const c of wss.clients) c.terminate()
    await new Promise((resolve) => wss.close(resolve))
  })
  const port = (wss.address() as AddressInfo).port
  return { client: new SequencerClient({ url: `http://127.0.0.1:${port}`, committee, WebSocket }), froms }
}

/** Subscribes to rollup 1 and records what is delivered and reported. */
function record (client: SequencerClient, opts: Partial<SubscribeOptions> = {}): { heights: number[], errors: Error[], sub: ReturnType<SequencerClient['subscribeSlices']> } {
  const heights: number[] = []
  const errors: Error[] = []
  const sub = client.subscribeSlices({
    rollup: 1,
    from: 0,
    reconnect: fast,
    onError: (err) => { errors.push(err) },
    ...opts,
    onSlice: async (slice) => {
      heights.push(slice.height)
      await opts.onSlice?.(slice)
    }
  })
  return { heights, errors, sub }
}

async function until (condition: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
  }
}

const all = Array.from({ length: LENGTH }, (_, h) => h)
const sendFrom = (socket: WebSocket, from: number, count = LENGTH): void => {
  for (let h = from; h < Math.min(LENGTH, from + count); h++) socket.send(slices1[h]!)
}

t.test('resumes from the next height after the server closes the socket', async (t) => {
  // Three slices per connection, then a "server stopping" close.
  const { client, froms } = await fakeServer(t, (socket, from) => { sendFrom(socket, from, 3); if (from + 3 < LENGTH) socket.close(1001, 'stopping') })
  let inFlight = 0
  let maxInFlight = 0
  const { heights, errors, sub } = record(client, {
    onSlice: async () => { maxInFlight = Math.max(maxInFlight, ++inFlight); await sleep(3); inFlight-- }
  })
  await until(() => sub.nextHeight === LENGTH)
  t.same(heights, all, 'every height once, in order')
  t.same(froms, [0, 3, 6, 9], 'each reconnection asks from the next height')
  t.equal(maxInFlight, 1, 'onSlice is awaited before the next slice')
  t.same(errors.map((e) => (e as SliceStreamError).code), [StreamErrorCode.DISCONNECTED, StreamErrorCode.DISCONNECTED, StreamErrorCode.DISCONNECTED], 'disconnects are reported')
  t.equal(sub.nextHeight, LENGTH)
  sub.close()
  await sub.done
  t.pass('close() ends the stream and done resolves')
})

t.test('a slow consumer: the buffer limit pauses the socket, nothing is lost', async (t) => {
  // The server streams a slice every 2 ms; the consumer takes 10 ms per slice.
  const { client, froms } = await fakeServer(t, async (socket, from) => {
    for (let h = from; h < LENGTH && socket.readyState === WebSocket.OPEN; h++) {
      socket.send(slices1[h]!)
      await sleep(2)
    }
  })
  const { heights, errors, sub } = record(client, { maxBufferedBytes: slices1[0]!.length * 2, onSlice: async () => { await sleep(10) } })
  await until(() => sub.nextHeight === LENGTH)
  t.same(heights, all)
  t.ok(froms.length > 1, `the socket was paused and reopened (${froms.length} connections, from ${froms.join(', ')})`)
  t.same(froms, [...froms].sort((a, b) => a - b), 'always resuming forward')
  t.same(errors, [], 'pausing is not an error')
  sub.close()
  await sub.done
})

t.test('protocol violations end the stream; the bad slice is never delivered', async (t) => {
  const tampered = ((): Uint8Array => {
    const s = decode(SliceSchema, new Uint8Array(slices1[1]!))
    const leaf = new Uint8Array(s.leaves[0]!)
    leaf[leaf.length - 1]! ^= 1
    s.leaves[0] = leaf
    return encode(SliceSchema, s)
  })()
  const cases: Array<{ name: string, serve: Serve, heights: number[], check: (err: unknown) => boolean, code: string }> = [
    { name: 'a repeated height', serve: (s) => { s.send(slices1[0]!); s.send(slices1[1]!); s.send(slices1[1]!) }, heights: [0, 1], check: (e) => e instanceof SliceStreamError, code: StreamErrorCode.REPEAT },
    { name: 'a skipped height', serve: (s) => { s.send(slices1[0]!); s.send(slices1[2]!) }, heights: [0], check: (e) => e instanceof SliceStreamError, code: StreamErrorCode.GAP },
    { name: 'a tampered slice', serve: (s) => { s.send(slices1[0]!); s.send(tampered); s.send(slices1[2]!) }, heights: [0], check: (e) => e instanceof SliceVerificationError, code: SliceErrorCode.BAD_LEAVES },
    { name: "another rollup's slice", serve: (s) => { s.send(slices1[0]!); s.send(chain.slices.get(2)![1]!) }, heights: [0], check: (e) => e instanceof SliceVerificationError, code: SliceErrorCode.WRONG_ROLLUP },
    { name: 'bytes that are not a slice', serve: (s) => { s.send(new Uint8Array([1, 2, 3])) }, heights: [], check: (e) => e instanceof SliceVerificationError, code: SliceErrorCode.MALFORMED },
    { name: 'a text message', serve: (s) => { s.send('{"json": true}') }, heights: [], check: (e) => e instanceof SliceStreamError, code: StreamErrorCode.BAD_MESSAGE },
    { name: 'a refusal (close 1008)', serve: (s) => { s.close(1008, 'UNKNOWN_ROLLUP') }, heights: [], check: (e) => e instanceof SliceStreamError && /UNKNOWN_ROLLUP/.test(e.message), code: StreamErrorCode.REFUSED }
  ]
  for (const c of cases) {
    const { client, froms } = await fakeServer(t, c.serve)
    const { heights, errors, sub } = record(client)
    const err = await sub.done.then(() => null, (e: unknown) => e)
    t.ok(c.check(err), `${c.name}: ends the stream with ${(err as Error)?.message}`)
    t.match(err, { code: c.code }, `${c.name}: ${c.code}`)
    t.same(heights, c.heights, `${c.name}: only the good slices before it were delivered`)
    t.equal(errors.at(-1), err, `${c.name}: onError saw it`)
    t.equal(froms.length, 1, `${c.name}: no reconnection`)
  }
})

t.test('onSlice failures, give-up after maxAttempts, and abort', async (t) => {
  const { client } = await fakeServer(t, (socket, from) => { sendFrom(socket, from) })
  const boom = new Error('consumer failed')
  const failing = record(client, { onSlice: (s) => { if (s.height === 2) throw boom } })
  t.equal(await failing.sub.done.then(() => null, (e: unknown) => e), boom, 'done rejects with what onSlice threw')
  t.same(failing.heights, [0, 1, 2])
  t.equal(failing.sub.nextHeight, 2, 'the failed height is next (not skipped)')

  const controller = new AbortController()
  const aborted = record(client, { signal: controller.signal, onSlice: async (s) => { if (s.height === 4) controller.abort(); await sleep(1) } })
  await aborted.sub.done
  t.same(aborted.heights, [0, 1, 2, 3, 4], 'the signal stops the stream after the current slice')

  const closing = await fakeServer(t, (socket) => { socket.close(1011, 'internal error') })
  const giveUp = record(closing.client, { reconnect: { ...fast, maxAttempts: 2 } })
  const err = await giveUp.sub.done.then(() => null, (e: unknown) => e)
  t.match(err, { code: StreamErrorCode.GAVE_UP })
  t.equal(closing.froms.length, 3, 'three connections: the first and two retries')
  t.same(giveUp.errors.map((e) => (e as SliceStreamError).code), [StreamErrorCode.DISCONNECTED, StreamErrorCode.DISCONNECTED, StreamErrorCode.GAVE_UP])

  const unreachable = new SequencerClient({ url: 'http://127.0.0.1:1', committee, WebSocket })
  const refused = record(unreachable, { reconnect: { ...fast, maxAttempts: 1 } })
  t.match(await refused.sub.done.then(() => null, (e: unknown) => e), { code: StreamErrorCode.GAVE_UP }, 'a server that cannot be reached')
})

t.test('slices(): an async iterator with the same guarantees', async (t) => {
  const { client, froms } = await fakeServer(t, (socket, from) => { sendFrom(socket, from, 4); if (from + 4 < LENGTH) socket.close(1001) })
  const got: VerifiedSlice[] = []
  for await (const slice of client.slices(1, 2, { reconnect: fast })) {
    got.push(slice)
    await sleep(2)
    if (slice.height === 9) break
  }
  t.same(got.map((s) => s.height), [2, 3, 4, 5, 6, 7, 8, 9])
  t.ok(got.every((s) => s.rollupId === 1 && s.txs.length >= 1))
  t.same(froms.slice(0, 2), [2, 6])

  const repeating = await fakeServer(t, (s) => { s.send(slices1[0]!); s.send(slices1[0]!) })
  const heights: number[] = []
  const err = await (async () => {
    for await (const slice of repeating.client.slices(1, 0)) heights.push(slice.height)
  })().then(() => null, (e: unknown) => e)
  t.match(err, { code: StreamErrorCode.REPEAT }, 'the loop throws the error that ended the stream')
  t.same(heights, [0])
})
