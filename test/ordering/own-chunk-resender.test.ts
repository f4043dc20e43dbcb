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
  resender.forget([chunk(2).hex])
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
