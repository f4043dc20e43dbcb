/**
 * Resolves after `ms`, at once when the signal aborts, or when the function handed to
 * `onWake` is called; never leaves a timer or listener behind. Browser-safe.
 */
export async function sleep (ms: number, signal?: AbortSignal, onWake?: (wake: () => void) => void): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    onWake?.(done)
  })
}
