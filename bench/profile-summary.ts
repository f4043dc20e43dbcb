/**
 * Summarizes a V8 .cpuprofile (from `npm run bench -- --cpu-prof I`): self time by
 * function and by source file/package, and the share of idle, GC and program time.
 *
 *   node --import tsx bench/profile-summary.ts DIR/profiles/sequencer-4/CPU.*.cpuprofile [--top 30]
 */
import { readFile } from 'node:fs/promises'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const args = process.argv.slice(2)
const topIdx = args.indexOf('--top')
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 30
const file = args.find((a, i) => !a.startsWith('--') && (topIdx < 0 || i !== topIdx + 1))
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
