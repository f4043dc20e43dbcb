/**
 * Yamux window updates once half the receive window is used, not after every data frame.
 *
 * @chainsafe/libp2p-yamux 8.0.1 answers every data frame it receives with a WINDOW_UPDATE
 * frame (`YamuxStream.handleData` -> `sendWindowUpdate`, which only skips when the window
 * is still full). For the committee's small messages (a vote, a chunk of a few txs) that is
 * one more frame per message in each direction: a noise encryption, a socket write and a
 * wakeup of the peer, which decrypts and decodes it. A profile of a member at 1000 tx/s
 * (bench/results/2026-12-07-perf3-profile) had 44 % of the yamux frames it sent be window
 * updates. The yamux spec leaves the timing to the receiver; go-yamux (and hashicorp's)
 * send an update only once the unacknowledged bytes reach half the window, which is what
 * this does. Frames that carry a flag (the SYN of a new stream, the ACK of an accepted one)
 * still go at once, and a sender whose window ran out always gets its update: by then the
 * whole window is used.
 *
 * Installed once, for every libp2p host of the process, by importing this module.
 */
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

/** the private fields of YamuxStream this reads (see its stream.d.ts) */
interface WindowView {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

const PATCHED = Symbol.for('shared-sequencer.yamux-half-window-updates')

export function installHalfWindowUpdates (): void {
  const proto = YamuxStream.prototype as YamuxStream & { [PATCHED]?: true }
  if (proto[PATCHED] === true) return
  const original = proto.sendWindowUpdate
  proto.sendWindowUpdate = function (this: YamuxStream): void {
    const view = this as unknown as WindowView
    const flagged = view.state === StreamState.Init || view.state === StreamState.SYNReceived
    if (!flagged && view.state !== StreamState.Paused && view.recvWindowCapacity > view.recvWindow / 2) return
    original.call(this)
  }
  proto[PATCHED] = true
}

installHalfWindowUpdates()
