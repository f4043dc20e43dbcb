/**
 * The progress line on stderr: once a second on a terminal (rewritten in place),
 * every 5 s otherwise. Latency figures are of the txs that became final in that second.
 */
import { loadavg } from 'node:os'
import type { LoadRecord } from './open-loop.js'
import { percentile, sortedFinite } from './stats.js'

export function startProgress (label: string, rec: LoadRecord, s: { warmup: number, duration: number, drain: number }, recent: number[], extra: () => string): { stop: () => void } {
  const tty = process.stderr.isTTY === true
  let ticks = 0
  let lastLen = 0
  const timer = setInterval(() => {
    ticks++
    const lat = sortedFinite(recent.splice(0))
    if (!tty && ticks % 5 !== 0) return
    const elapsed = (performance.now() - rec.t0) / 1000
    const phase = elapsed < s.warmup ? `warmup ${elapsed.toFixed(0)}/${s.warmup}s` : elapsed < s.warmup + s.duration ? `measure ${(elapsed - s.warmup).toFixed(0)}/${s.duration}s` : `drain ${(elapsed - s.warmup - s.duration).toFixed(0)}/${s.drain}s`
    const p = (q: number): string => { const v = percentile(lat, q); return v === null ? '-' : v.toFixed(0) }
    const rejected = [...rec.rejected.values()].reduce((a, b) => a + b, 0)
    const line = `[${label} @${rec.rate}/s] ${phase} sent ${rec.sentCount} ack ${rec.ackedCount} final ${rec.finalCount} rej ${rejected} inflight ${rec.inFlight} | last 1s: ${lat.length} final, p50 ${p(50)} p99 ${p(99)} ms | ${extra()} | load ${loadavg()[0]!.toFixed(1)}`
    if (tty) {
      process.stderr.write(`\r${line}${' '.repeat(Math.max(0, lastLen - line.length))}`)
      lastLen = line.length
    } else {
      process.stderr.write(`${line}\n`)
    }
  }, 1000)
  return {
    stop: () => {
      clearInterval(timer)
      if (tty && lastLen > 0) process.stderr.write('\n')
      lastLen = 0
    }
  }
}
