/** The stream pump against a fake sink: exact backpressure bound, no gaps, clean stop. */
import t from 'tap'
import { decode, encode, SliceSchema } from '../../src/codec/index.js'
import { runSliceStream, type StreamSink } from '../../src/api/index.js'
import { FakeBackend } from './fake-backend.js'

/** A sink whose buffer only drains when the test says so. */
class HeldSink implements StreamSink {
  bufferedAmount = 0
  readonly heights: number[] = []

  send (data: string | Uint8Array): void {
    if (typeof data === 'string') throw new Error('expected binary')
    this.heights.push(decode(SliceSchema, data).header.height)
    this.bufferedAmount += data.length
  }
}

async function until (cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function settle (): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 60))
}

const timings = { drainPollMs: 5, finalPollMs: 40 }

t.test('reads ahead at most one slice past the high-water mark, then waits for the drain', async (t) => {
  const backend = new FakeBackend({ finalHeight: 99, leavesAt: () => 1, payloadBytes: 1000 })
  const sliceBytes = encode(SliceSchema, (await backend.getSlice(1, 0))!.slice).length
  backend.getSliceCalls = 0
  const highWaterBytes = Math.round(3.5 * sliceBytes)
  const sink = new HeldSink()
  const stop = new AbortController()
  t.teardown(() => { stop.abort() })
  const done = runSliceStream({ backend, rollupId: 1, from: 0, format: 'msgpack', sink, highWaterBytes, signal: stop.signal, ...timings })
  await until(() => sink.heights.length > 0)
  await settle()
  // The fourth send crosses 3.5 slices' worth; then the pump waits.
  t.same(sink.heights, [0, 1, 2, 3])
  t.equal(backend.getSliceCalls, 4, 'no read beyond what was sent')
  t.ok(sink.bufferedAmount < highWaterBytes + sliceBytes, 'buffered stays under high-water + one slice')

  sink.bufferedAmount = 0
  await until(() => sink.heights.length === 8)
  await settle()
  t.same(sink.heights, [0, 1, 2, 3, 4, 5, 6, 7], 'resumes in order after the drain')

  stop.abort()
  await done
  t.equal(backend.listeners.size, 0, 'unsubscribed on stop')
})

t.test('follows final heights and never skips a height the store does not have yet', async (t) => {
  const backend = new FakeBackend({ finalHeight: 1 })
  const sink = new HeldSink()
  const stop = new AbortController()
  let missingOnce = 3
  const getSlice = backend.getSlice.bind(backend)
  backend.getSlice = async (rollupId, height) => {
    if (height === missingOnce) {
      missingOnce = -1
      return null
    }
    return await getSlice(rollupId, height)
  }
  t.teardown(() => { stop.abort() })
  const done = runSliceStream({ backend, rollupId: 7, from: 0, format: 'msgpack', sink, highWaterBytes: 1 << 20, signal: stop.signal, ...timings })
  await until(() => sink.heights.length === 2)
  backend.advance()
  await until(() => sink.heights.length === 3)
  backend.advance()
  backend.advance()
  await until(() => sink.heights.length === 5)
  t.same(sink.heights, [0, 1, 2, 3, 4], 'height 3 was retried, not skipped')
  stop.abort()
  await done
})

t.test('a backend failure rejects the pump and unsubscribes', async (t) => {
  const backend = new FakeBackend()
  backend.getSlice = async () => { throw new Error('store down') }
  const stop = new AbortController()
  await t.rejects(runSliceStream({ backend, rollupId: 1, from: 0, format: 'json', sink: new HeldSink(), highWaterBytes: 1000, signal: stop.signal }), { message: 'store down' })
  t.equal(backend.listeners.size, 0)
})
