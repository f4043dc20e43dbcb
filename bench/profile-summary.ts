/**
 * Summarizes a V8 .cpuprofile (from `npm run bench -- --cpu-prof I`): self time by
 * function and by source file/package, and the share of idle, GC and program time.
 *
 *   node --import tsx bench/profile-summary.ts DIR/profiles/sequencer-4/CPU.*.0.001.cpuprofile [--top 30] [--callers verifyOneShot,_get] [--inclusive submitTx,#onChunk]
 *
 * `--callers` lists, for each named function, its heaviest caller chains (self time).
 * `--inclusive` gives, for each named function, the time spent in it and everything it
 * called (a sample counts once even if the function recurses): which entry point owns
 * the cost that self time spreads over helpers.
 * On a machine whose cores are all busy, V8's samples are wall-clock weighted: time the
 * main thread spends descheduled lands on the frame that was running (often a call that
 * woke another thread: level reads and writes, socket writes), so compare with CPU
 * figures before trusting small differences.
 */
import { readFile } from 'node:fs/promises'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const args = process.argv.slice(2)
const topIdx = args.indexOf('--top')
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 30
const callersIdx = args.indexOf('--callers')
const callersOf = callersIdx >= 0 ? (args[callersIdx + 1] ?? '').split(',').filter((x) => x.length > 0) : []
const inclusiveIdx = args.indexOf('--inclusive')
const inclusiveOf = inclusiveIdx >= 0 ? (args[inclusiveIdx + 1] ?? '').split(',').filter((x) => x.length > 0) : []
const valueIdx = new Set([topIdx, callersIdx, inclusiveIdx].filter((i) => i >= 0).map((i) => i + 1))
const file = args.find((a, i) => !a.startsWith('--') && !valueIdx.has(i))
if (file === undefined) {
  console.error('usage: bench/profile-summary.ts FILE.cpuprofile [--top N]')
  process.exit(2)
}
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const selfUs = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
}
const totalUs = profile.endTime - profile.startTime
const fnTotals = new Map<string, number>()
const fileTotals = new Map<string, number>()
let idle = 0
let gc = 0
let program = 0
for (const [id, us] of selfUs) {
  const n = byId.get(id)!
  const name = n.callFrame.functionName || '(anonymous)'
  if (name === '(idle)') { idle += us; continue }
  if (name === '(garbage collector)') gc += us
  if (name === '(program)') program += us
  const url = shortUrl(n.callFrame.url)
  const key = `${name}  ${url}${n.callFrame.url === '' ? '' : `:${n.callFrame.lineNumber + 1}`}`
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us)
  const fileKey = n.callFrame.url === '' ? name : url
  fileTotals.set(fileKey, (fileTotals.get(fileKey) ?? 0) + us)
}
const busy = totalUs - idle
const pct = (us: number, of = totalUs): string => `${(100 * us / of).toFixed(1).padStart(5)} %`
console.log(`profile: ${(totalUs / 1e6).toFixed(1)} s wall, busy ${pct(busy)} (gc ${pct(gc)}, program/native ${pct(program)}), idle ${pct(idle)}`)
console.log(`\ntop ${top} functions by self time (share of busy time):`)
for (const [k, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
console.log(`\ntop ${top} files / packages by self time (share of busy time):`)
for (const [k, us] of [...fileTotals].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)

if (callersOf.length > 0) {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  for (const fn of callersOf) {
    const chains = new Map<string, number>()
    for (const [id, us] of selfUs) {
      if (byId.get(id)!.callFrame.functionName !== fn) continue
      const chain: string[] = []
      for (let c = parent.get(id); c !== undefined && chain.length < 5; c = parent.get(c)) {
        const f = byId.get(c)!.callFrame
        chain.push(`${f.functionName || '(anonymous)'} ${shortUrl(f.url)}`)
      }
      const key = chain.join(' < ')
      chains.set(key, (chains.get(key) ?? 0) + us)
    }
    console.log(`\ncallers of ${fn} (self time):`)
    for (const [k, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms  < ${k}`)
  }
}

if (inclusiveOf.length > 0) {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  console.log('\ninclusive time (share of busy time):')
  for (const fn of inclusiveOf) {
    let us = 0
    for (const [id, selfTime] of selfUs) {
      for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
        if (byId.get(c)!.callFrame.functionName === fn) { us += selfTime; break }
      }
    }
    console.log(`${pct(us, busy)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${fn}`)
  }
}

function shortUrl (url: string): string {
  if (url === '') return ''
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
    return `[${pkg}] ${rest.slice(rest[0]!.startsWith('@') ? 2 : 1).join('/')}`
  }
  const src = url.indexOf('/src/')
  if (src >= 0) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '')
}
