/**
 * Shared steps of the netns tests: a lab of four namespaces with a committee in it (both
 * removed at teardown, whatever happens), polling of final heights, and the agreement
 * check (every node serves the same batch hash at every height up to the lowest head).
 */
import type { Test } from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NetLab, NetnsCommittee, type CommitteeOptions } from '../../netns/index.js'
import { tempDir } from '../helpers/node-process.js'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * First round timeout 200 ms (well above a round over veth, even with 20 ms links) and at
 * most 1 s, so a committee whose rounds kept timing out during a partition retries every
 * second and resumes soon after the heal.
 */
const CONSENSUS = { baseTimeoutMs: 200, maxTimeoutMs: 1000 }

export async function startLab (t: Test, opts: Partial<CommitteeOptions> & { chainId: string }): Promise<{ lab: NetLab, committee: NetnsCommittee }> {
  const dir = await tempDir(t, 'seqnode-netns-')
  const lab = await NetLab.create({ nodes: 4 })
  t.teardown(async () => { await lab.destroy() })
  let committee: NetnsCommittee | undefined
  // On failure, the last warnings of every node help tell why (runs before the lab goes).
  t.teardown(async () => {
    await committee?.stop()
    if (t.passing()) return
    const logDir = join(dir, 'logs')
    for (const file of (await readdir(logDir).catch(() => [])).sort()) {
      const lines = (await readFile(join(logDir, file), 'utf8')).trimEnd().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-10)
      if (lines.length > 0) t.comment(`--- ${file}: last warnings ---\n${lines.join('\n')}`)
    }
  })
  committee = await NetnsCommittee.start(lab, { dir, consensus: CONSENSUS, ...opts })
  await waitHeights(committee, 'every node to see its 3 peers', 30_000, async () =>
    (await Promise.all(committee!.members.map(async (m) => (await committee!.status(m.index)).peers))).every((p) => p === 3))
  return { lab, committee }
}

/**
 * Polls the final heights (-1 for a node that did not answer) until `done` holds; returns
 * them and when that was. Throws, with the last heights, after `timeoutMs`.
 */
export async function waitHeights (
  committee: NetnsCommittee, what: string, timeoutMs: number,
  done: (heights: number[]) => boolean | Promise<boolean>
): Promise<{ heights: number[], at: number }> {
  const deadline = performance.now() + timeoutMs
  let heights: number[] = []
  for (;;) {
    heights = (await committee.heights()).map((h) => h ?? -1)
    if (await Promise.resolve(done(heights)).catch(() => false)) return { heights, at: performance.now() }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; heights ${heights.join('/')}`)
    await sleep(50)
  }
}

/** Every node serves the same batch hash at each height 0..(lowest head). */
export async function assertAgreement (t: Test, committee: NetnsCommittee, label: string): Promise<number> {
  const heights = (await committee.heights()).map((h) => h ?? -1)
  const upTo = Math.min(...heights)
  const chains = await Promise.all(committee.members.map(async (m) => await committee.batchHashes(m.index, upTo)))
  const diverging = chains[0]!.flatMap((hash, h) => chains.some((c) => c[h] !== hash) ? [h] : [])
  t.ok(upTo >= 0, `${label}: every node has final batches (heights ${heights.join('/')})`)
  t.same(diverging, [], `${label}: all ${chains.length} nodes serve the same batch hash at each of heights 0..${upTo}`)
  return upTo
}
