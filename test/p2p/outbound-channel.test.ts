/**
 * The per-member outbound queue against a fake stream: order, drop-oldest and expiry for
 * consensus, publisher backpressure and the stall bound for chunks, drain handling, and
 * reopening after a stream dies.
 */
import t from 'tap'
import type { Stream } from '@libp2p/interface'
import { COALESCE_MAX_BYTES, OutboundChannel, type DropReason, type OutboundChannelOptions } from '../../src/p2p/outbound-channel.js'
import { nextTurn, waitFor } from './helpers.js'

/** Just enough of a libp2p message stream: records frames; `full` makes send() ask for drain. */
class FakeStream extends EventTarget {
  status: 'open' | 'closed' = 'open'
  writableNeedsDrain = false
  full = false
  /** the frames written, by their fill byte (frames queued together arrive in one send) */
  readonly sent: number[] = []
  /** how many frames each send() carried */
  readonly sends: number[] = []

  send (data: Uint8Array): boolean {
    if (this.status !== 'open') throw new Error('closed')
    // Test frames are filled with their number and neighbours differ: each run of one byte is one frame.
    let frames = 0
    for (let i = 0; i < data.length; i++) {
      if (i === 0 || data[i] !== data[i - 1]) {
        this.sent.push(data[i]!)
        frames++
      }
    }
    this.sends.push(frames)
    if (this.full) this.writableNeedsDrain = true
    return !this.full
  }

  drain (): void {
    this.full = false
    this.writableNeedsDrain = false
    this.dispatchEvent(new Event('drain'))
  }

  kill (): void {
    this.status = 'closed'
    this.dispatchEvent(new Event('close'))
  }

  async close (): Promise<void> { this.status = 'closed' }
  abort (): void { this.status = 'closed' }
}

function setup (overrides: Partial<OutboundChannelOptions> = {}): { channel: OutboundChannel, streams: FakeStream[], drops: DropReason[], connected: { value: boolean } } {
  const streams: FakeStream[] = []
  const drops: DropReason[] = []
  const connected = { value: true }
  const channel = new OutboundChannel({
    openStream: async () => {
      const stream = new FakeStream()
      streams.push(stream)
      return stream as unknown as Stream
    },
    isConnected: () => connected.value,
    maxFrames: 1000,
    maxBytes: 1000,
    maxAgeMs: Number.POSITIVE_INFINITY,
    stallMs: 200,
    openTimeoutMs: 1000,
    retryMinMs: 10,
    retryMaxMs: 50,
    onSent: () => {},
    onDrop: (reason, n) => { for (let i = 0; i < n; i++) drops.push(reason) },
    onOpenError: () => {},
    ...overrides
  })
  return { channel, streams, drops, connected }
}

const frame = (n: number, size = 1): Uint8Array => new Uint8Array(size).fill(n)

t.test('consensus frames go out in order; beyond the bound the oldest are dropped', async (t) => {
  const { channel, streams, drops } = setup({ maxFrames: 3 })
  t.teardown(() => { channel.close() })
  // Nothing is sent until the stream is open (async), so five frames hit a bound of three.
  for (let i = 1; i <= 5; i++) channel.pushDroppable(frame(i))
  await waitFor(() => streams[0]?.sent.length === 3, 1000, 'sent')
  t.same(streams[0]!.sent, [3, 4, 5])
  t.same(drops, ['queue_full', 'queue_full'])
})

t.test('consensus frames that waited maxAgeMs while the member was unreachable are dropped, not flushed on its return', async (t) => {
  // The member is away: every open fails until `reachable`; the clock is the test's.
  let reachable = false
  let now = 0
  const opened: FakeStream[] = []
  const { channel, drops } = setup({
    maxAgeMs: 1000,
    now: () => now,
    openStream: async () => {
      if (!reachable) throw new Error('connection refused')
      const stream = new FakeStream()
      opened.push(stream)
      return stream as unknown as Stream
    }
  })
  t.teardown(() => { channel.close() })
  for (let i = 1; i <= 5; i++) channel.pushDroppable(frame(i))
  now = 600
  channel.pushDroppable(frame(6))
  t.same(drops, [], 'nothing expires before its time')
  now = 1000
  channel.pushDroppable(frame(7))
  t.same(drops, ['expired', 'expired', 'expired', 'expired', 'expired'], 'a push drops the frames that waited maxAgeMs')
  t.equal(channel.queuedFrames, 2)
  now = 1700
  reachable = true
  channel.onConnected()
  await waitFor(() => opened[0]?.sent.length === 1, 2000, 'the member is back')
  await nextTurn()
  t.same(opened[0]!.sent, [7], 'only the frame younger than maxAgeMs is sent on return (6 expired while the stream opened)')
  t.equal(drops.length, 6)
  channel.pushDroppable(frame(8))
  await waitFor(() => opened[0]!.sent.length === 2, 1000, 'later frames flow')
  t.same(opened[0]!.sent, [7, 8])
})

t.test('frames queued in one run go out in one send, up to COALESCE_MAX_BYTES', async (t) => {
  const { channel, streams } = setup({ maxBytes: 4 * COALESCE_MAX_BYTES })
  t.teardown(() => { channel.close() })
  await channel.pushWithRoom(frame(1))
  await waitFor(() => streams[0]?.sent.length === 1, 1000, 'stream open, first frame')
  // Chunks published together (a pack's lanes): one send.
  void channel.pushWithRoom(frame(2, 100))
  void channel.pushWithRoom(frame(3, 100))
  void channel.pushWithRoom(frame(4, 100))
  await waitFor(() => streams[0]!.sent.length === 4, 1000, 'the three frames')
  t.same(streams[0]!.sends, [1, 3], 'three frames, one send')
  // Past the bound the run is cut: a frame larger than the bound goes alone.
  void channel.pushWithRoom(frame(5, COALESCE_MAX_BYTES - 50))
  void channel.pushWithRoom(frame(6, 100))
  void channel.pushWithRoom(frame(7, COALESCE_MAX_BYTES + 1))
  await waitFor(() => streams[0]!.sent.length === 7, 1000, 'the next three')
  t.same(streams[0]!.sent, [1, 2, 3, 4, 5, 6, 7], 'in order')
  t.same(streams[0]!.sends, [1, 3, 1, 1, 1], 'none over the bound together')
  // A consensus frame goes at once, within the call.
  channel.pushDroppable(frame(8))
  t.same(streams[0]!.sent.at(-1), 8, 'sent before push returned')
})

t.test('a full stream is waited on (drain), then writing resumes in order', async (t) => {
  const { channel, streams } = setup()
  t.teardown(() => { channel.close() })
  channel.pushDroppable(frame(1))
  await waitFor(() => streams.length === 1 && streams[0]!.sent.length === 1, 1000, 'first')
  streams[0]!.full = true
  channel.pushDroppable(frame(2))
  channel.pushDroppable(frame(3))
  await waitFor(() => streams[0]!.sent.length === 2, 1000, 'the second frame')
  await nextTurn()
  t.same(streams[0]!.sent, [1, 2], 'stops after send() returned false')
  t.equal(channel.queuedFrames, 1)
  streams[0]!.drain()
  await waitFor(() => streams[0]!.sent.length === 3, 1000, 'resumed')
  t.same(streams[0]!.sent, [1, 2, 3])
})

t.test('a dead stream is replaced and queued frames go on the new one', async (t) => {
  const { channel, streams } = setup()
  t.teardown(() => { channel.close() })
  channel.pushDroppable(frame(1))
  await waitFor(() => streams[0]?.sent.length === 1, 1000, 'first')
  streams[0]!.kill()
  channel.pushDroppable(frame(2))
  await waitFor(() => streams.length === 2 && streams[1]!.sent.length === 1, 1000, 'reopened')
  t.same(streams[1]!.sent, [2])
})

t.test('opening failures are retried with backoff until the member is reachable', async (t) => {
  let failures = 3
  const opened: FakeStream[] = []
  const { channel } = setup({
    openStream: async () => {
      if (failures-- > 0) throw new Error('connection refused')
      const stream = new FakeStream()
      opened.push(stream)
      return stream as unknown as Stream
    }
  })
  t.teardown(() => { channel.close() })
  channel.pushDroppable(frame(7))
  await waitFor(() => opened[0]?.sent.length === 1, 2000, 'delivered after retries')
  t.same(opened[0]!.sent, [7])
})

t.test('chunks: the publisher waits for room, and a stalled member costs at most stallMs', async (t) => {
  const { channel, streams, drops, connected } = setup({ maxBytes: 100, stallMs: 150 })
  t.teardown(() => { channel.close() })
  await channel.pushWithRoom(frame(1, 60))
  await waitFor(() => streams[0]?.sent.length === 1, 1000, 'first')
  streams[0]!.full = true
  await channel.pushWithRoom(frame(2, 60)) // written; the stream then asks for drain
  await waitFor(() => streams[0]!.sent.length === 2, 1000, 'the second frame')
  // Admitted while the queue holds less than maxBytes (100): 60, then 120.
  await channel.pushWithRoom(frame(3, 60))
  await channel.pushWithRoom(frame(4, 60))
  let fifth = false
  const pending = channel.pushWithRoom(frame(5, 60)).then(() => { fifth = true })
  await nextTurn()
  t.notOk(fifth, 'the publisher waits while the queue is over its bound (only a drain or the stall timer releases it)')
  streams[0]!.drain()
  await pending
  await waitFor(() => streams[0]!.sent.length === 5, 1000, 'all sent')
  t.same(streams[0]!.sent, [1, 2, 3, 4, 5], 'in order')
  t.same(drops, [])

  streams[0]!.full = true
  await channel.pushWithRoom(frame(6, 60))
  await waitFor(() => streams[0]!.sent.length === 6, 1000, 'the sixth frame')
  await channel.pushWithRoom(frame(7, 60))
  await channel.pushWithRoom(frame(8, 60))
  // A lower bound only: a timer never fires early, however slow the machine.
  const started = performance.now()
  await channel.pushWithRoom(frame(9, 60))
  t.ok(performance.now() - started >= 140, 'waited for the stall bound')
  t.same(drops, ['stalled'], 'then dropped the chunk for this member only')
  const tenth = channel.pushWithRoom(frame(10, 60))
  t.same(drops, ['stalled', 'stalled'], 'once stalled, the next chunk for the member is dropped at once, within the call')
  await tenth
  streams[0]!.drain()
  await waitFor(() => channel.queuedFrames === 0, 1000, 'drained')
  await channel.pushWithRoom(frame(11, 60))
  await waitFor(() => streams[0]!.sent.at(-1) === 11, 1000, 'sent after recovery')
  t.same(drops, ['stalled', 'stalled'], 'a member that drains is waited for again')

  connected.value = false
  await channel.pushWithRoom(frame(12, 60))
  t.same(drops, ['stalled', 'stalled', 'not_connected'], 'a disconnected member is skipped at once')
})

t.test('chunks: a disconnect drops the queue and releases waiting publishers', async (t) => {
  const { channel, streams, drops } = setup({ maxBytes: 100, stallMs: 5000 })
  t.teardown(() => { channel.close() })
  await channel.pushWithRoom(frame(1, 60))
  await waitFor(() => streams[0]?.sent.length === 1, 1000, 'first')
  streams[0]!.full = true
  await channel.pushWithRoom(frame(2, 60))
  await waitFor(() => streams[0]!.sent.length === 2, 1000, 'the second frame')
  await channel.pushWithRoom(frame(3, 60))
  await channel.pushWithRoom(frame(4, 60))
  const waiting = channel.pushWithRoom(frame(5, 60))
  channel.dropPending('not_connected')
  await waiting
  t.same(drops, ['not_connected', 'not_connected', 'not_connected'], 'two queued and one waiting frame dropped')
  t.equal(channel.queuedFrames, 0)
})
