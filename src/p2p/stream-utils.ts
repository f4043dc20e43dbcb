/**
 * Small helpers over libp2p 3 message streams.
 */
import type { Stream } from '@libp2p/interface'

/**
 * Resolves true once `stream` can take more data, false if it closes first.
 *
 * Not `stream.onDrain()`: in @libp2p/utils 7.4 it keeps its first resolved promise, so from
 * the second wait on it resolves at once and a writer looping on it never waits again.
 */
export async function waitForDrain (stream: Stream): Promise<boolean> {
  if (stream.status !== 'open') return false
  if (!stream.writableNeedsDrain) return true
  return new Promise((resolve) => {
    const done = (writable: boolean): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      resolve(writable)
    }
    const onDrain = (): void => { done(true) }
    const onClose = (): void => { done(false) }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
  })
}

/** Resolves on the stream's next `drain` or `close`, or after `ms`, whichever comes first. */
export async function waitForDrainOrTimeout (stream: Stream, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      stream.removeEventListener('drain', done)
      stream.removeEventListener('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    stream.addEventListener('drain', done)
    stream.addEventListener('close', done)
  })
}

/**
 * Closes our end once the remote has closed its end, so a graceful connection close (on
 * stop) does not wait out libp2p's close timeout for a stream we would never close.
 */
export function closeWhenRemoteCloses (stream: Stream): void {
  stream.addEventListener('remoteCloseWrite', () => {
    stream.close().catch((err: Error) => { stream.abort(err) })
  }, { once: true })
}
