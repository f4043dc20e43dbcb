/**
 * A member back from an outage (a restart with the same seed) gets the consensus messages
 * of now, not the backlog the others queued for it while it was away: that backlog (rounds
 * long over) kept a restarted member verifying, fetching for and replaying stale proposals
 * and timeouts for seconds, so it barely voted (test/e2e/committee.test.ts). Messages that
 * waited less than `maxQueuedMessageAgeMs` are still delivered (test/p2p/restart.test.ts).
 */
import t from 'tap'
import { generateKeyPair } from '../../src/crypto/index.js'
import { createCommitteeTransport, P2PErrorCode } from '../../src/p2p/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { addressesOf, bytes, memberOptions, sleep, startCommittee, text, waitFor } from './helpers.js'

const MAX_AGE_MS = 300
const STALE = 40

t.test('a member back from an outage gets no stale consensus backlog', async (t) => {
  const { members, optionsFor } = await startCommittee(t, 4, { maxQueuedMessageAgeMs: MAX_AGE_MS })
  const sender = members[0]!
  const away = members[3]!
  const port = Number(/tcp\/(\d+)/.exec(away.transport.listenAddrs[0]!)![1])
  await away.transport.stop()
  await waitFor(() => !sender.transport.connectedMembers().includes(3), 5000, 'member 0 sees member 3 leave')

  // What a round-robin committee sends a member that is down: proposals, timeouts, votes.
  for (let i = 0; i < STALE; i++) sender.transport.send(3, bytes(`stale-${i}`))
  // Past their age whatever the restart costs (a timer never fires early).
  await sleep(MAX_AGE_MS + 50)

  const back = await createCommitteeTransport(optionsFor(3, { listen: [`/ip4/127.0.0.1/tcp/${port}`] }))
  t.teardown(async () => back.stop())
  const got: string[] = []
  back.onMessage((from, data) => { if (from === 0) got.push(text(data)) })
  await back.start()
  back.setPeers(addressesOf(members, 3))
  // Fresh messages only once the link is back: sent earlier, under load they could wait out
  // the age too and be counted with the stale ones.
  await waitFor(() => sender.transport.connectedMembers().includes(3), 10_000, 'member 0 sees member 3 back')
  sender.transport.send(3, bytes('fresh-0'))
  // The push of the first fresh message drops whatever waited past the age, synchronously.
  t.equal(sender.metrics.dropped.get({ kind: 'consensus', reason: 'expired' }), STALE, 'each is counted as dropped: expired')
  // Fresh messages until one arrives: one stream per member, in order, so anything stale
  // still queued would have arrived before it.
  let fresh = 1
  await waitFor(() => {
    sender.transport.send(3, bytes(`fresh-${fresh++}`))
    return got.some((m) => m.startsWith('fresh-'))
  }, 10_000, 'a fresh message at the member that came back')
  t.same(got.filter((m) => m.startsWith('stale-')), [], 'none of the messages queued while it was away arrived')
  t.ok(sender.metrics.messagesOut.get({ kind: 'consensus', peer: '3' }) >= 1, 'messages out are counted per peer')
})

t.test('maxQueuedMessageAgeMs must be positive', async (t) => {
  const keys = [generateKeyPair(), generateKeyPair()]
  for (const bad of [0, -1, Number.NaN]) {
    await rejectsWithCode(t, createCommitteeTransport(memberOptions(keys, 0, { maxQueuedMessageAgeMs: bad })), P2PErrorCode.BAD_CONFIG, `${bad} is refused`)
  }
})
