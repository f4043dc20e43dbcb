/**
 * Yamux window updates (src/p2p/yamux-window-updates.ts): a receiver of many small frames
 * sends one WINDOW_UPDATE per half window, not one per frame; flags still go at once and a
 * sender whose window ran out gets its update. The real YamuxStream, its frames recorded.
 */
import t from 'tap'
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import '../../src/p2p/yamux-window-updates.js'

const DATA = 0 // yamux frame types (spec): data, window update
const WINDOW_UPDATE = 1
const WINDOW = 256 * 1024 // yamux's initial stream window

type StreamLog = ConstructorParameters<typeof YamuxStream>[0]['log']
const silent = (): void => {}
const log = Object.assign(silent, { trace: silent, error: silent, enabled: false, newScope: () => log }) as unknown as StreamLog

function receiver (state: StreamState): { stream: YamuxStream, sent: Array<{ type: number, flag: number, length: number }> } {
  const sent: Array<{ type: number, flag: number, length: number }> = []
  const stream = new YamuxStream({
    id: '1',
    streamId: 1,
    state,
    direction: 'inbound',
    log,
    getRTT: () => -1,
    sendFrame: (header) => { sent.push({ type: header.type, flag: header.flag, length: header.length }); return true }
  })
  stream.addEventListener('message', () => {}) // a reader takes what arrives
  return { stream, sent }
}

function deliver (stream: YamuxStream, bytes: number): void {
  stream.handleData({ header: { type: DATA, flag: 0, streamID: 1, length: bytes }, data: new Uint8Array(bytes) } as never)
}

t.test('small frames: no update until half the window is used, then one', async (t) => {
  const { stream, sent } = receiver(StreamState.Established)
  for (let i = 0; i < 1000; i++) deliver(stream, 100)
  t.equal(sent.filter((f) => f.type === WINDOW_UPDATE).length, 0, '1000 frames of 100 B (100 kB < 128 kB): no window update')
  for (let i = 0; i < 400; i++) deliver(stream, 100)
  const updates = sent.filter((f) => f.type === WINDOW_UPDATE)
  t.equal(updates.length, 1, 'past half the window: one update')
  t.ok(updates[0]!.length > WINDOW / 2, `for everything received so far (${updates[0]!.length} B)`)
})

t.test('a sender that used the whole window gets its update', async (t) => {
  const { stream, sent } = receiver(StreamState.Established)
  deliver(stream, WINDOW)
  t.same(sent.filter((f) => f.type === WINDOW_UPDATE).map((f) => f.length), [WINDOW])
})

t.test('the ACK of an accepted stream goes with the first frame', async (t) => {
  const { stream, sent } = receiver(StreamState.SYNReceived)
  deliver(stream, 10)
  t.equal(sent.length, 1, 'one frame')
  t.equal(sent[0]!.flag, 2, 'the ACK flag (spec: SYN 1, ACK 2)')
  deliver(stream, 10)
  t.equal(sent.length, 1, 'then no more for small frames')
})
