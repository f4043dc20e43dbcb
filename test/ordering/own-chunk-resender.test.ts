/**
 * OwnChunkResender: copies of due chunks go out one at a time, each after the members'
 * queues took the one before, so a slow committee's backlog cannot flood the chunk queues
 * (bench/results/2026-12-07-collapse/README.md). Virtual clock; `send` resolves when the
 * test says so.
 */
import t from 'tap'
import { OwnChunkResender } from '../../src/ordering/own-chunk-resender.js'

const options = { firstResendMs: 100, maxResendMs: 800, maxAgeMs: 10_000, maxTracked: 16 }

function chunk (i: number): { hex: string, digest: Uint8Array, bytes: Uint8Array } {
  const digest = new Uint8Array(32).fill(i)
  return { hex: Buffer.from(digest).toString('hex'), digest, bytes: new Uint8Array(1024).fill(i) }
}

/** A send that records each chunk and resolves only when released. */
function gatedSend (): { sent: number[], release: () => void, send: (c: { bytes: Uint8Array }) => Promise<void> } {
  const sent: number[] = []
  const gates: Array<() => void> = []
  return {
    sent,
    release: () => { gates.shift()?.() },
    send: async (c) => {
      sent.push(c.bytes[0]!)
      await new Promise<void>((resolve) => gates.push(resolve))
    }
  }
}

const tick = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

t.test('due chunks are sent one at a time, the next once the one before was taken', async (t) => {
  const resender = new OwnChunkResender(options)
  for (let i = 1; i <= 3; i++) resender.track(chunk(i).hex, chunk(i).digest, chunk(i).bytes, 0)
  const gate = gatedSend()
  const pass = resender.resendDue(100, gate.send)
  await tick()
  t.same(gate.sent, [1], 'one copy waits for room, not the whole backlog')
  gate.release()
  await tick()
  t.same(gate.sent, [1, 2])
  gate.release()
  await tick()
  gate.release()
  t.equal(await pass, 3)
  t.same(gate.sent, [1, 2, 3])
})

t.test('a call while a pass runs sends nothing; a chunk final meanwhile is skipped', async (t) => {
  const resender = new OwnChunkResender(options)
  for (let i = 1; i <= 2; i++) resender.track(chunk(i).hex, chunk(i).digest, chunk(i).bytes, 0)
  const gate = gatedSend()
  const pass = resender.resendDue(100, gate.send)
  await tick()
  t.equal(await resender.resendDue(150, gate.send), 0, 'the second tick waits for the running pass')
  resender.forget([chunk(2).hex], 120)
  gate.release()
  t.equal(await pass, 1, 'chunk 2 became final while chunk 1 waited')
  t.same(gate.sent, [1])
  // The pass is over: the next due time (interval doubled to 200 ms) sends chunk 1 again.
  const next = resender.resendDue(300, gate.send)
  await tick()
  gate.release()
  t.equal(await next, 1)
  t.same(gate.sent, [1, 1])
})

t.test('the first resend waits twice the slowest recent pack-to-final time, capped at maxResendMs', async (t) => {
  const resender = new OwnChunkResender(options)
  t.equal(resender.firstResendMs, 100, 'nothing final yet: the configured delay')
  resender.track(chunk(1).hex, chunk(1).digest, chunk(1).bytes, 0)
  resender.track(chunk(2).hex, chunk(2).digest, chunk(2).bytes, 0)
  resender.forget([chunk(1).hex], 30)
  t.equal(resender.firstResendMs, 100, 'a fast committee keeps the configured delay')
  resender.forget([chunk(2).hex, chunk(9).hex], 250)
  t.equal(resender.firstResendMs, 500, 'a chunk final after 250 ms: 500 ms (a chunk never tracked gives no sample)')
  resender.track(chunk(3).hex, chunk(3).digest, chunk(3).bytes, 1000)
  t.same(resender.due(1499).map((c) => c.hex), [], 'not due before 500 ms')
  t.same(resender.due(1500).map((c) => c.hex), [chunk(3).hex], 'due at 500 ms')
  resender.track(chunk(4).hex, chunk(4).digest, chunk(4).bytes, 2000)
  resender.forget([chunk(4).hex], 7000)
  t.equal(resender.firstResendMs, 800, 'capped at maxResendMs')
  for (let i = 0; i < 32; i++) {
    resender.track(chunk(10 + i).hex, chunk(10 + i).digest, chunk(10 + i).bytes, 8000)
    resender.forget([chunk(10 + i).hex], 8010)
  }
  t.equal(resender.firstResendMs, 100, 'the slow samples age out after 32 fast ones')
})
