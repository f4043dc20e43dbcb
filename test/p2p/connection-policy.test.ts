/** The pure rules behind one connection per member pair (src/p2p/connection-policy.ts). */
import t from 'tap'
import type { Connection } from '@libp2p/interface'
import { dialsTo, gossipLinksToReset, newestOpen, supersededBy } from '../../src/p2p/connection-policy.js'

const conn = (id: string, open: number, status = 'open'): Connection => ({ id, status, timeline: { open } }) as unknown as Connection

t.test('exactly one end of every pair dials', async (t) => {
  for (let a = 0; a < 7; a++) {
    for (let b = 0; b < 7; b++) {
      if (a !== b) t.equal(Number(dialsTo(a, b)) + Number(dialsTo(b, a)), 1, `${a}-${b}`)
    }
  }
  t.ok(dialsTo(0, 3))
  t.notOk(dialsTo(3, 0))
})

t.test('the newest open connection is used, the older open ones are superseded', async (t) => {
  const old = conn('a', 100)
  const fresh = conn('b', 200)
  const closed = conn('c', 300, 'closed')
  t.equal(newestOpen([old, fresh, closed]), fresh)
  t.equal(newestOpen([closed]), undefined)
  t.same(supersededBy(fresh, [old, fresh, closed]).map((c) => c.id), ['a'])
  t.same(supersededBy(old, [old, fresh]).map((c) => c.id), [], 'an older connection never closes a newer one')
})

t.test('a connected member without a gossip stream past the grace period is reset', async (t) => {
  const connectedSince = new Map([[1, 0], [2, 0], [3, 9_000]])
  t.same(gossipLinksToReset({ connectedSince, withOutboundStream: new Set([1]) }, 10_000, 3000), [2], 'member 3 is still within its grace period')
  t.same(gossipLinksToReset({ connectedSince, withOutboundStream: new Set([1, 2, 3]) }, 10_000, 3000), [])
})
