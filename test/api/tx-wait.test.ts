/**
 * The tx lifecycle routes against a fake backend: the long poll answers when the tx
 * settles, on timeout with the status then, 404 for an unknown hash, and refuses past its
 * bound of waiters with 503 TOO_MANY_WAITERS; the tx stream pushes each watched tx's
 * status and changes until settled, refuses watches past its per-connection bound, closes
 * on bad messages (1008) and past its bound of connections (1013).
 */
import t from 'tap'
import WebSocket from 'ws'
import { FakeBackend } from './fake-backend.js'
import { errorOf, startServer } from './helpers.js'

const hashOf = (i: number): string => i.toString(16).padStart(64, '0')

/** A tx stream client that queues the server's JSON messages. */
async function openTxStream (t: { teardown: (fn: () => unknown) => void }, url: string): Promise<{ ws: WebSocket, next: () => Promise<Record<string, unknown>>, closed: Promise<{ code: number, reason: string }> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/txs/stream`)
  t.teardown(() => { ws.terminate() })
  const queue: Array<Record<string, unknown>> = []
  let wake: (() => void) | null = null
  ws.on('message', (data) => { queue.push(JSON.parse(String(data)) as Record<string, unknown>); wake?.() })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const next = async (): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 5000
    while (queue.length === 0) {
      if (Date.now() > deadline) throw new Error('no message in time')
      await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 50) })
    }
    return queue.shift()!
  }
  return { ws, next, closed }
}

t.test('wait: at once when settled, when it settles, on timeout with the status then; 404 and 400', async (t) => {
  const backend = new FakeBackend()
  const { url } = await startServer(t, backend)
  backend.statuses.set(hashOf(1), { status: 'committed', height: 3, index: 0 })
  t.same(await (await fetch(`${url}/v1/txs/${hashOf(1)}/wait?until=final&timeout=5`)).json(), { hash: hashOf(1), status: 'committed', height: 3, index: 0 }, 'settled: at once')

  backend.statuses.set(hashOf(2), { status: 'pending' })
  const waiting = fetch(`${url}/v1/txs/${hashOf(2)}/wait?until=final&timeout=10`)
  setTimeout(() => {
    backend.statuses.set(hashOf(2), { status: 'rejected', code: 'TX_EXPIRED', message: 'expired', reason: 'expired' })
  }, 100)
  t.same(await (await waiting).json(), { hash: hashOf(2), status: 'rejected', code: 'TX_EXPIRED', message: 'expired', reason: 'expired' }, 'dropped while waiting: answered with the reason')

  backend.statuses.set(hashOf(3), { status: 'pending' })
  const waitingFinal = fetch(`${url}/v1/txs/${hashOf(3)}/wait?timeout=10`)
  setTimeout(() => {
    backend.statuses.set(hashOf(3), { status: 'committed', height: 10, index: 2 })
    backend.advance()
  }, 100)
  t.match(await (await waitingFinal).json(), { status: 'committed', height: 10 }, 'final while waiting')

  backend.statuses.set(hashOf(4), { status: 'proposed', height: 11 })
  const timedOut = await fetch(`${url}/v1/txs/${hashOf(4)}/wait?until=final&timeout=1`)
  t.equal(timedOut.status, 200)
  t.same(await timedOut.json(), { hash: hashOf(4), status: 'proposed', height: 11 }, 'timeout: the status then')

  t.same(await errorOf(await fetch(`${url}/v1/txs/${hashOf(5)}/wait`)), { status: 404, code: 'NOT_FOUND' })
  for (const query of ['until=proposed', 'timeout=31', 'timeout=-1', 'timeout=x']) {
    t.same(await errorOf(await fetch(`${url}/v1/txs/${hashOf(4)}/wait?${query}`)), { status: 400, code: 'BAD_REQUEST' }, query)
  }
  t.same(await errorOf(await fetch(`${url}/v1/txs/xyz/wait`)), { status: 400, code: 'BAD_REQUEST' })
})

t.test('wait: past maxTxWaiters, 503 TOO_MANY_WAITERS with Retry-After; a waiter leaving frees its place', async (t) => {
  const backend = new FakeBackend()
  const { url } = await startServer(t, backend, { limits: { maxTxWaiters: 2 } })
  backend.statuses.set(hashOf(1), { status: 'pending' })
  const aborts = [new AbortController(), new AbortController()]
  const held = aborts.map(async (a) => await fetch(`${url}/v1/txs/${hashOf(1)}/wait?timeout=30`, { signal: a.signal }).catch(() => null))
  // the two are waiting once the server counts them: a third is refused
  let refused: Response | null = null
  for (const deadline = Date.now() + 5000; refused === null && Date.now() < deadline;) {
    const res = await fetch(`${url}/v1/txs/${hashOf(1)}/wait?timeout=0`)
    if (res.status === 503) refused = res
    else await res.body?.cancel()
  }
  t.ok(refused !== null, 'a third waiter is refused')
  t.equal(refused!.headers.get('retry-after'), '1')
  t.same(await errorOf(refused!), { status: 503, code: 'TOO_MANY_WAITERS' })
  aborts[0]!.abort()
  let admitted = false
  for (const deadline = Date.now() + 5000; !admitted && Date.now() < deadline;) {
    const res = await fetch(`${url}/v1/txs/${hashOf(1)}/wait?timeout=0`)
    admitted = res.status === 200
    await res.body?.cancel()
  }
  t.ok(admitted, 'once a waiter hangs up, a new one is served')
  backend.statuses.set(hashOf(1), { status: 'committed', height: 1, index: 0 })
  backend.advance()
  await Promise.all(held)
})

t.test('tx stream: the status at once, each change, until settled; unknown hashes watched too', async (t) => {
  const backend = new FakeBackend()
  const { url } = await startServer(t, backend)
  backend.statuses.set(hashOf(1), { status: 'pending' })
  const stream = await openTxStream(t, url)
  stream.ws.send(JSON.stringify({ watch: [hashOf(1), hashOf(2).toUpperCase()] }))
  const first = [await stream.next(), await stream.next()].sort((a, b) => String(a.hash).localeCompare(String(b.hash)))
  t.same(first, [{ kind: 'status', hash: hashOf(1), status: 'pending' }, { kind: 'status', hash: hashOf(2), status: 'unknown' }])
  backend.statuses.set(hashOf(1), { status: 'proposed', height: 10 })
  t.same(await stream.next(), { kind: 'status', hash: hashOf(1), status: 'proposed', height: 10 }, 'a change is pushed')
  backend.statuses.set(hashOf(2), { status: 'pending' })
  t.same(await stream.next(), { kind: 'status', hash: hashOf(2), status: 'pending' }, 'the unknown one once submitted')
  backend.statuses.set(hashOf(1), { status: 'committed', height: 10, index: 1 })
  backend.advance()
  t.same(await stream.next(), { kind: 'status', hash: hashOf(1), status: 'committed', height: 10, index: 1 }, 'final')
  backend.statuses.set(hashOf(2), { status: 'rejected', code: 'TX_EXPIRED', message: 'm', reason: 'invalid' })
  t.same(await stream.next(), { kind: 'status', hash: hashOf(2), status: 'rejected', code: 'TX_EXPIRED', message: 'm', reason: 'invalid' }, 'dropped, with its reason')
  stream.ws.send(JSON.stringify({ unwatch: [hashOf(2)], watch: [hashOf(1)] }))
  t.same(await stream.next(), { kind: 'status', hash: hashOf(1), status: 'committed', height: 10, index: 1 }, 'a settled tx watched again: its status once')
})

t.test('tx stream bounds: watched per connection, connections, and bad messages', async (t) => {
  const backend = new FakeBackend()
  const { url } = await startServer(t, backend, { limits: { maxWatchedPerTxStream: 2, maxTxStreams: 2 } })
  for (let i = 1; i <= 3; i++) backend.statuses.set(hashOf(i), { status: 'pending' })
  const a = await openTxStream(t, url)
  a.ws.send(JSON.stringify({ watch: [hashOf(1), hashOf(2), hashOf(3)] }))
  const messages = [await a.next(), await a.next(), await a.next()]
  t.same(messages.filter((m) => m.kind === 'refused'), [{ kind: 'refused', code: 'TOO_MANY_WATCHED', hashes: [hashOf(3)], message: messages.find((m) => m.kind === 'refused')?.message }], 'the third watch is refused, typed')
  t.equal(messages.filter((m) => m.kind === 'status').length, 2, 'the first two are watched')

  const b = await openTxStream(t, url)
  const c = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/txs/stream`)
  t.teardown(() => { c.terminate() })
  const refused = await new Promise<{ code: number, reason: string }>((resolve) => c.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  t.same(refused, { code: 1013, reason: 'TOO_MANY_SUBSCRIBERS' }, 'a third connection: 1013')

  b.ws.send('{"watch": "nope"}')
  t.match(await b.closed, { code: 1008, reason: /^BAD_REQUEST/ }, 'a bad message closes with 1008 BAD_REQUEST')
  const plain = await fetch(`${url}/v1/txs/stream`)
  t.equal(plain.status, 426, 'a plain GET is told to upgrade')
})
