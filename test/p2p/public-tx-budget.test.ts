/**
 * The public network's per-peer tx byte budget: a peer relaying more tx bytes per second
 * than the budget loses the excess (ignored, not forwarded), is not penalised for it (an
 * honest busy relay stays connected), and what fits the budget still goes through.
 */
import t from 'tap'
import { generateKeyPair } from '../../src/crypto/index.js'
import { PublicNetwork } from '../../src/p2p/public-network.js'

const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('over its tx byte budget, a peer\'s bundles are dropped unpenalised', async (t) => {
  const budget = 8 * 1024
  const receiver = new PublicNetwork({ chainId: 'budget', seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], maxMessageBytes: 1024 * 1024, txBytesPerSecond: budget })
  let accepted = 0
  receiver.onTx(() => { accepted++; return 'accept' })
  receiver.onFinalBatch(() => 'ignore')
  await receiver.start()
  t.teardown(async () => receiver.stop())
  const addr = receiver.listenAddrs[0]!
  const sender = new PublicNetwork({ chainId: 'budget', seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [addr.includes('/p2p/') ? addr : `${addr}/p2p/${receiver.peerId}`], maxMessageBytes: 1024 * 1024 })
  sender.onTx(() => 'ignore')
  sender.onFinalBatch(() => 'ignore')
  await sender.start()
  t.teardown(async () => sender.stop())
  // publishing needs the receiver's subscription, learnt within a heartbeat or two
  const deadline = Date.now() + 10_000
  let probe = 0
  for (;;) {
    const ok = await sender.publishTxs(new Uint8Array([0xff, probe++])).then(() => true, () => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error('the sender never saw the receiver on the tx topic')
    await sleep(100)
  }
  await sleep(200)
  const before = accepted
  // 64 distinct messages of 1 KiB at once: four times the burst (2 x 8 KiB)
  for (let i = 0; i < 64; i++) {
    const bytes = new Uint8Array(1024).fill(i)
    bytes[0] = 0xfe
    await sender.publishTxs(bytes)
  }
  const end = Date.now() + 5000
  while (receiver.counters.verdicts.tx.accept + receiver.counters.txBudgetDropped < before + 64 && Date.now() < end) await sleep(20)
  const got = accepted - before
  t.ok(receiver.counters.txBudgetDropped > 0, `bundles over the budget were dropped (${receiver.counters.txBudgetDropped})`)
  t.ok(got >= 8 && got <= 40, `what fits the burst and the refill went through (${got} of 64)`)
  t.equal(receiver.counters.bans, 0, 'no ban for being busy')
  t.ok(sender.connectedPeers().includes(receiver.peerId), 'the sender is still connected')
})
