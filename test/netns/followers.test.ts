/**
 * Followers across regions: 4 members and 2 followers, each in its own namespace, two
 * "regions" 20 ms +- 5 ms apart (one way; the userspace delay relay, as this kernel has no
 * sch_netem). Follower 0 dials the members, follower 1 only follower 0, so its txs and final
 * batches cross a follower hop. A few seconds of load submitted at the followers only: every
 * acknowledged tx appears in a verified slice on both followers, each follower delivers
 * every height exactly once per rollup, and the followers serve the members' batch hashes.
 * Skips, with the reason, where namespaces cannot be created.
 */
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NetLab, probeNetnsSupport, PublicLab, runFollowerScenario } from '../../netns/index.js'
import { tempDir } from '../helpers/node-process.js'

const support = await probeNetnsSupport()
if (!support.ok) {
  t.plan(0, `network namespaces unavailable: ${support.reason}`)
} else {
  t.test('4 members + 2 followers in 2 regions: txs in at the followers, every height out exactly once', async (t) => {
    const dir = await tempDir(t, 'seqnode-netns-followers-')
    const lab = await NetLab.create({ nodes: 6 })
    t.teardown(async () => { await lab.destroy() })
    let net: PublicLab | undefined
    t.teardown(async () => {
      await net?.stop()
      if (t.passing()) return
      for (const file of (await readdir(join(dir, 'logs')).catch(() => [])).sort()) {
        const lines = (await readFile(join(dir, 'logs', file), 'utf8')).trimEnd().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-8)
        if (lines.length > 0) t.comment(`--- ${file}: last warnings ---\n${lines.join('\n')}`)
      }
    })
    const regionOf = (node: number): number => node < 4 ? Math.floor(node / 2) : node - 4
    net = await PublicLab.start(lab, {
      dir,
      chainId: 'netns-followers',
      members: 4,
      regionOf,
      shape: (a, b) => a === b ? { delayMs: 0, jitterMs: 0, lossPct: 0 } : { delayMs: 20, jitterMs: 5, lossPct: 0 },
      sentries: 1,
      consensus: { baseTimeoutMs: 400, maxTimeoutMs: 2000 },
      logLevel: 'warn'
    })
    const report = await runFollowerScenario(net, { tps: 20, loadMs: 4000, settleTimeoutMs: 30_000, log: (line) => t.comment(line) })
    t.comment(JSON.stringify(report))
    t.ok(report.acknowledged >= 40, `the followers acknowledged ${report.acknowledged} txs`)
    t.equal(report.failedSubmits, 0, 'every submission got an answer')
    for (const f of report.followers) {
      t.equal(f.txsMissing, 0, `${f.name}: every acknowledged tx is in a verified slice`)
      for (const r of f.rollups) t.same({ duplicates: r.duplicates, missing: r.missing }, { duplicates: 0, missing: 0 }, `${f.name} rollup ${r.rollup}: heights 0..${report.targetHeight} each delivered once`)
      t.same(f.streamErrors, [], `${f.name}: no stream errors`)
    }
    t.ok(net.relayedChunks() > 0, 'node-to-node traffic went through the delay relays')
    const h = report.targetHeight
    const hashes = await Promise.all([...net.members.slice(0, 1), ...net.followers].map(async (p) => net!.batchHash(p, h)))
    t.equal(new Set(hashes).size, 1, `member and followers serve the same batch hash at height ${h}`)
  })
}
