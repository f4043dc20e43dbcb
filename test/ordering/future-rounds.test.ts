/**
 * Issue #13 item 3: a member spraying signed votes and timeouts for rounds far ahead must
 * not make the core hold more messages (timeouts are refused as CONSENSUS_FUTURE_ROUND, and
 * scored; votes are dropped silently, since votes sent to all members after a TC reach
 * honest members far behind). Fails without the window: every such message was kept until its round passed.
 */
import t from 'tap'
import { coreOf, timeout, vote } from './consensus-fixtures.js'

t.test('far-future votes and timeouts leave the stored message count flat', async (t) => {
  // Member 1 collects the votes of rounds 4, 8, 12, ... (it leads the round after each).
  const core = coreOf(1)
  core.step({ type: 'start' })
  let futureRefusals = 0
  const spray = (from: number, k: number): void => {
    const actions = [
      ...core.step({ type: 'vote', from, vote: vote(from, 4 * k) }),
      ...core.step({ type: 'timeout', from, timeout: timeout(from, 4 * k + 2) })
    ]
    futureRefusals += actions.filter((a) => a.type === 'reject' && a.code === 'CONSENSUS_FUTURE_ROUND').length
  }
  for (let k = 1; k <= 50; k++) spray(2, k)
  const afterFifty = core.retainedMessages
  t.ok(afterFifty > 0, `messages within the window are kept (${afterFifty})`)
  for (let k = 51; k <= 600; k++) spray(2, k)
  t.equal(core.retainedMessages, afterFifty, `after 1200 messages up to round ${4 * 600 + 2}: still ${afterFifty} held`)
  t.ok(futureRefusals >= 550, `the later timeouts refused as CONSENSUS_FUTURE_ROUND (${futureRefusals})`)
  t.equal(core.round, 1, 'and none of it moved the round')
})
