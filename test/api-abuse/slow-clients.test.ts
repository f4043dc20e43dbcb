/**
 * Slow and greedy clients against a real node: slowloris connections (silent, headers
 * dribbled, body dribbled) are answered 408 REQUEST_TIMEOUT and closed after the
 * configured timeouts while other clients are served; an IP over its connection limit
 * gets 503 TOO_MANY_CONNECTIONS while other IPs are not affected; past the total limit
 * new sockets are dropped at accept. Every case is counted in seq_api_rejected_total.
 *
 * Distinct client IPs are loopback addresses (127.0.0.2, ...), which Linux routes to lo.
 */
import t from 'tap'
import { memoryOf, MiB, parseRawReply, RawClient, rejectionDelta, rejections, repeat, sleep, startAbuseNode } from './helpers.js'

const HEADERS_TIMEOUT_MS = 1000
const REQUEST_TIMEOUT_MS = 2000
/** loaded 2-core machines: timers and the server's connection check run late */
const SLACK_MS = 3000

/** GETs /healthz every 100 ms until stopped; returns the slowest reply time. */
function probe (url: string): { stop: () => Promise<{ maxMs: number, count: number, failures: number }> } {
  let running = true
  let maxMs = 0
  let count = 0
  let failures = 0
  const loop = (async () => {
    while (running) {
      const started = performance.now()
      try {
        const res = await fetch(`${url}/healthz`)
        if (res.status !== 200) failures++
        await res.arrayBuffer()
      } catch {
        failures++
      }
      maxMs = Math.max(maxMs, performance.now() - started)
      count++
      await sleep(100)
    }
  })()
  return { stop: async () => { running = false; await loop; return { maxMs, count, failures } } }
}

t.test('slowloris: silent, header-dribbling and body-dribbling sockets get 408 and are closed', async (t) => {
  const node = await startAbuseNode(t, { api: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxConnectionsPerIp: 40 } })
  const before = await rejections(node.url)
  const calm = await memoryOf(node.url)
  const healthy = probe(node.url)
  const perKind = 30
  const silent = Array.from({ length: perKind }, () => new RawClient(node.port, { localAddress: '127.0.0.2' }))
  const headers = Array.from({ length: perKind }, () => {
    const c = new RawClient(node.port, { localAddress: '127.0.0.3' })
    c.write('GET /v1/status HTTP/1.1\r\nHost: x\r\n')
    c.dribble(repeat('X-Slow: 1\r\n'), 200)
    return c
  })
  const bodies = Array.from({ length: perKind }, () => {
    const c = new RawClient(node.port, { localAddress: '127.0.0.4' })
    c.write('POST /v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n')
    c.dribble(repeat('a'), 200)
    return c
  })
  await sleep(HEADERS_TIMEOUT_MS / 2)
  const during = await memoryOf(node.url)
  t.ok(during.connections >= 3 * perKind, `${during.connections} connections open while the slow clients hold theirs`)

  const check = async (clients: RawClient[], kind: string, limitMs: number): Promise<void> => {
    const outcomes = await Promise.all(clients.map(async (c) => await c.closed))
    const replies = new Set(outcomes.map((o) => JSON.stringify(parseRawReply(o.reply))))
    t.same([...replies], [JSON.stringify({ status: 408, code: 'REQUEST_TIMEOUT' })], `${kind}: every socket got 408 REQUEST_TIMEOUT`)
    const slowest = Math.max(...outcomes.map((o) => o.afterMs))
    t.ok(slowest < limitMs + SLACK_MS, `${kind}: all closed by the server, the last after ${Math.round(slowest)} ms (timeout ${limitMs} ms)`)
  }
  await check(silent, 'silent', HEADERS_TIMEOUT_MS)
  await check(headers, 'headers dribbled', HEADERS_TIMEOUT_MS)
  await check(bodies, 'body dribbled', REQUEST_TIMEOUT_MS)

  const served = await healthy.stop()
  t.comment(`healthy client: ${served.count} requests, slowest ${Math.round(served.maxMs)} ms, calm RSS ${(calm.rssBytes / MiB).toFixed(0)} MiB, with 90 slow sockets ${(during.rssBytes / MiB).toFixed(0)} MiB`)
  t.equal(served.failures, 0, 'a well-behaved client was served all along')
  t.ok(served.maxMs < 2000, `and never waited 2 s (slowest ${Math.round(served.maxMs)} ms)`)
  t.ok(during.rssBytes - calm.rssBytes < 100 * MiB, 'the slow sockets cost under 100 MiB')
  t.same(rejectionDelta(before, await rejections(node.url)), { REQUEST_TIMEOUT: 3 * perKind }, 'each counted as REQUEST_TIMEOUT')
  t.ok((await memoryOf(node.url)).connections <= 2, 'no slow socket left open')
})

t.test('connection limits: per IP answered 503 TOO_MANY_CONNECTIONS, total dropped at accept', async (t) => {
  const perIp = 20
  const total = 50
  const node = await startAbuseNode(t, { api: { maxConnectionsPerIp: perIp, maxConnections: total } })
  const before = await rejections(node.url)
  const clients: RawClient[] = []
  t.teardown(() => { for (const c of clients) c.destroy() })
  const open = async (count: number, localAddress: string): Promise<RawClient[]> => {
    const batch = Array.from({ length: count }, () => new RawClient(node.port, { localAddress }))
    clients.push(...batch)
    await Promise.all(batch.map(async (c) => await Promise.race([c.opened, c.closed])))
    return batch
  }

  await open(perIp, '127.0.0.2')
  await sleep(100)
  const [extra] = await open(1, '127.0.0.2')
  extra!.write('GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n')
  const refused = await extra!.closed
  t.same(parseRawReply(refused.reply), { status: 503, code: 'TOO_MANY_CONNECTIONS' }, 'the IP over its limit is told why, then closed')
  const other = await fetch(`${node.url}/healthz`)
  t.equal(other.status, 200, 'another IP is still served')
  await other.arrayBuffer()

  // Fill the total from other IPs: sockets past it are closed by Node at accept, with no reply.
  await open(perIp, '127.0.0.3')
  const last = await open(15, '127.0.0.4')
  await sleep(300)
  const dropped = last.filter((c) => c.socket.destroyed || c.socket.readableEnded).length
  t.ok(dropped >= 1, `${dropped} of the last 15 sockets were dropped once ${total} were open`)
  const delta = rejectionDelta(before, await rejections(node.url))
  t.equal(delta.TOO_MANY_CONNECTIONS, 1 + dropped, 'the 503 and every drop are counted as TOO_MANY_CONNECTIONS')

  for (const c of clients) c.destroy()
  await sleep(300)
  const res = await fetch(`${node.url}/v1/status`)
  t.equal(res.status, 200, 'once the clients leave, new connections are served')
  await res.arrayBuffer()
  t.ok((await memoryOf(node.url)).connections <= 2, 'and the count of open connections is back down')
})
