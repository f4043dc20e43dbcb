/**
 * Slice-stream limits on the API server alone (fake backend, so the chain is as long as
 * wanted): the subscriber cap (1013 TOO_MANY_SUBSCRIBERS), the stall close (4408
 * STREAM_STALLED, seen by a subscriber that resumes reading within the grace), the
 * shared buffer budget, and the counters of each.
 */
import t from 'tap'
import { Registry } from 'prom-client'
import WebSocket from 'ws'
import { createApiMetrics } from '../../src/api/index.js'
import { FakeBackend } from '../api/fake-backend.js'
import { startServer } from '../api/helpers.js'
import { sleep } from './helpers.js'

interface Subscriber {
  ws: WebSocket
  closed: Promise<{ code: number, reason: string }>
  messages: () => number
}

function subscribe (t: { teardown: (fn: () => unknown) => void }, url: string, opts: { paused?: boolean } = {}): Subscriber {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/rollups/alpha/stream?format=msgpack`)
  t.teardown(() => { ws.terminate() })
  let messages = 0
  ws.on('message', () => { messages++ })
  ws.on('error', () => {})
  if (opts.paused === true) ws.once('open', () => { socketOf(ws).pause() })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  return { ws, closed, messages: () => messages }
}

function socketOf (ws: WebSocket): import('node:net').Socket {
  return (ws as unknown as { _socket: import('node:net').Socket })._socket
}

async function until (cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

async function counted (registry: Registry, reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('seq_api_rejected_total')?.get()
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0
}

t.test('past maxStreamSubscribers a subscriber is closed with 1013 TOO_MANY_SUBSCRIBERS', async (t) => {
  const registry = new Registry()
  const { url, backend } = await startServer(t, new FakeBackend({ finalHeight: 3 }), { metrics: createApiMetrics(registry), limits: { maxStreamSubscribers: 3 } })
  const first = [subscribe(t, url), subscribe(t, url), subscribe(t, url)]
  await until(() => first.every((s) => s.messages() === 4), 5000, 'three subscribers to catch up')
  const fourth = subscribe(t, url)
  t.same(await fourth.closed, { code: 1013, reason: 'TOO_MANY_SUBSCRIBERS' })
  t.equal(await counted(registry, 'TOO_MANY_SUBSCRIBERS'), 1, 'counted')
  first[0]!.ws.close()
  await first[0]!.closed
  await until(() => backend.listeners.size === 2, 2000, 'the closed stream to unsubscribe')
  const replacement = subscribe(t, url)
  await until(() => replacement.messages() === 4, 5000, 'a new subscriber once a slot is free')
  t.pass('a freed slot takes a new subscriber')
})

t.test('a subscriber that stops reading is closed with 4408 STREAM_STALLED', async (t) => {
  const registry = new Registry()
  const backend = new FakeBackend({ finalHeight: 3000, leavesAt: () => 1, payloadBytes: 64 * 1024 })
  const { url } = await startServer(t, backend, { metrics: createApiMetrics(registry), limits: { streamStallTimeoutMs: 800 } })
  const reader = subscribe(t, url, { paused: true })
  await until(async () => await counted(registry, 'STREAM_STALLED') === 1, 20_000, 'the reader to be judged stalled')
  // It resumes within the close grace: it drains what was queued, then reads the close frame.
  socketOf(reader.ws).resume()
  t.same(await reader.closed, { code: 4408, reason: 'STREAM_STALLED' }, 'the typed close')
  await until(async () => /seq_api_stream_subscribers 0/.test(await registry.metrics()), 3000, 'the subscriber to be gone')
  t.equal(backend.listeners.size, 0, 'and its stream unsubscribed')
})

t.test('stalled subscribers share one buffer budget and are cut off after the grace', async (t) => {
  const registry = new Registry()
  const payloadBytes = 64 * 1024
  const backend = new FakeBackend({ finalHeight: 3000, leavesAt: () => 1, payloadBytes })
  const budget = 1024 * 1024
  const { url } = await startServer(t, backend, {
    metrics: createApiMetrics(registry),
    streamHighWaterBytes: 4 * 1024 * 1024,
    limits: { streamStallTimeoutMs: 800, streamBufferBudgetBytes: budget }
  })
  const readers = Array.from({ length: 4 }, () => subscribe(t, url, { paused: true }))
  let maxBuffered = 0
  // The kernel buffers take a few MiB per socket before the budget applies.
  await until(async () => {
    const text = await registry.metrics()
    maxBuffered = Math.max(maxBuffered, Number(/seq_api_stream_buffered_bytes (\d+)/.exec(text)?.[1]))
    return await counted(registry, 'STREAM_STALLED') === 4
  }, 20_000, 'all four readers to be judged stalled')
  t.ok(maxBuffered <= budget + 4 * (payloadBytes + 4096), `queued for all four at most ${(maxBuffered / 1024).toFixed(0)} KiB: within the ${budget / 1024} KiB budget plus one slice each`)
  // They never read again: the server cuts them off after the grace, on its own.
  await until(async () => /seq_api_stream_subscribers 0/.test(await registry.metrics()), 6000, 'every stalled subscriber to be cut off')
  t.equal(backend.listeners.size, 0, 'no stream left subscribed')
  t.match(await registry.metrics(), /seq_api_stream_buffered_bytes 0/, 'nothing queued')
  for (const r of readers) socketOf(r.ws).resume()
  const codes = (await Promise.all(readers.map(async (r) => await r.closed))).map((c) => c.code)
  t.ok(codes.every((c) => c === 1006 || c === 4408), `reading again, they find their sockets closed (${codes.join(', ')})`)
})

t.test('a slow reader that keeps making progress is not closed', async (t) => {
  const registry = new Registry()
  const backend = new FakeBackend({ finalHeight: 400, leavesAt: () => 1, payloadBytes: 32 * 1024 })
  const { url } = await startServer(t, backend, {
    metrics: createApiMetrics(registry),
    streamHighWaterBytes: 64 * 1024,
    limits: { streamStallTimeoutMs: 600 }
  })
  const reader = subscribe(t, url, { paused: true })
  await until(() => reader.ws.readyState === WebSocket.OPEN, 3000, 'open')
  // Read in short bursts every 300 ms: always under the stall timeout.
  const socket = socketOf(reader.ws)
  const deadline = Date.now() + 3000
  while (Date.now() < deadline && reader.messages() < 401) {
    socket.resume()
    await sleep(20)
    socket.pause()
    await sleep(300)
  }
  socket.resume()
  await until(() => reader.messages() === 401, 10_000, 'every slice')
  t.equal(await counted(registry, 'STREAM_STALLED'), 0, 'never judged stalled')
  t.equal(reader.ws.readyState, WebSocket.OPEN, 'still open')
})

t.test('a client message over wsMaxPayloadBytes closes the socket with 1009, unbuffered (audit #13 item 6)', async (t) => {
  const { url, backend } = await startServer(t, new FakeBackend({ finalHeight: 1 }))
  const sub = subscribe(t, url)
  await until(() => sub.messages() === 2, 5000, 'the subscriber to catch up')
  sub.ws.send(new Uint8Array(4096)) // at the limit: still accepted
  await sleep(50)
  t.equal(sub.ws.readyState, WebSocket.OPEN, 'a message at the limit is taken')
  sub.ws.send(new Uint8Array(16 * 1024 * 1024)) // announced in the frame header: refused before it is buffered
  t.equal((await sub.closed).code, 1009, 'closed with 1009 Message Too Big')
  await until(() => backend.listeners.size === 0, 2000, 'the closed stream to unsubscribe')

  const { url: small } = await startServer(t, new FakeBackend({ finalHeight: 0 }), { limits: { wsMaxPayloadBytes: 16 } })
  const tight = subscribe(t, small)
  await until(() => tight.messages() === 1, 5000, 'open')
  tight.ws.send(new Uint8Array(17))
  t.equal((await tight.closed).code, 1009, 'the limit is the configured one')
})
