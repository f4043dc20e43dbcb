/**
 * CPU per request/response with yamux's window update after every data frame (`off`, the
 * library as shipped) or once per half window (`on`, src/p2p/yamux-window-updates.ts): two
 * libp2p hosts (TCP, noise, yamux, as the committee's) in one process on 127.0.0.1, one
 * reused stream, echo frames of 300 B, one at a time and 32 in flight. CPU time (user + system of the whole process: both ends) is the figure
 * to compare; it moves much less than wall time on a shared machine.
 *
 *   node --import ./src/polyfills/register.js --import tsx bench/p2p/window-updates.ts on|off
 *
 * Prints one JSON line; run both modes alternately (each mode its own process: the patch is
 * global).
 */
import { performance } from 'node:perf_hooks'

const mode = process.argv[2]
if (mode !== 'on' && mode !== 'off') {
  console.error('usage: bench/p2p/window-updates.ts on|off')
  process.exit(2)
}
const { YamuxStream } = await import('@chainsafe/libp2p-yamux/stream')
const shipped = YamuxStream.prototype.sendWindowUpdate
// importing the transport installs the patch; `off` puts the shipped method back
await import('../../src/p2p/index.js')
const { encodeFrame, FrameDecoder } = await import('../../src/p2p/framing.js')
const { plainHost } = await import('./plain-host.js')
const { multiaddr } = await import('@multiformats/multiaddr')
if (mode === 'off') YamuxStream.prototype.sendWindowUpdate = shipped

let windowUpdates = 0
const current = YamuxStream.prototype.sendWindowUpdate
YamuxStream.prototype.sendWindowUpdate = function (this: InstanceType<typeof YamuxStream>): void {
  const before = (this as unknown as { recvWindowCapacity: number }).recvWindowCapacity
  current.call(this)
  if ((this as unknown as { recvWindowCapacity: number }).recvWindowCapacity !== before) windowUpdates++
}

const PAYLOAD = new Uint8Array(300).fill(7)
const [a, b] = [await plainHost(), await plainHost()]
const protocol = '/bench/echo/1'
await b.handle(protocol, (stream) => {
  const decoder = new FrameDecoder(1 << 20)
  stream.addEventListener('message', (evt) => { for (const frame of decoder.push(evt.data)) stream.send(encodeFrame(frame)) })
})
const stream = await a.dialProtocol(multiaddr(b.getMultiaddrs()[0]!.toString()), protocol)
// one reused stream, requests answered in order (the echo keeps the order)
const decoder = new FrameDecoder(1 << 20)
const waiting: Array<() => void> = []
stream.addEventListener('message', (evt) => { for (const _frame of decoder.push(evt.data)) waiting.shift()?.() })
const request = async (): Promise<void> => {
  const answered = new Promise<void>((resolve) => waiting.push(resolve))
  stream.send(encodeFrame(PAYLOAD))
  await answered
}
for (let i = 0; i < 500; i++) await request()

async function phase (count: number, inFlight: number): Promise<{ cpu_us_per_request: number, requests_per_s: number, window_updates_per_request: number }> {
  windowUpdates = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => { while (next++ < count) await request() }))
  const cpu = process.cpuUsage(cpu0)
  const seconds = (performance.now() - t0) / 1000
  return {
    cpu_us_per_request: Math.round((cpu.user + cpu.system) / count),
    requests_per_s: Math.round(count / seconds),
    window_updates_per_request: Number((windowUpdates / count).toFixed(2))
  }
}

const sequential = await phase(4000, 1)
const concurrent = await phase(8000, 32)
console.log(JSON.stringify({ mode, sequential, concurrent }))
await a.stop()
await b.stop()
