/**
 * `seqnode check` and `seqnode start` on a real node's data folder: clean passes, a damaged
 * folder is refused with a message naming it and a non-zero exit.
 */
import t from 'tap'
import { Level } from 'level'
import { loadNodeConfig } from '../../src/node/config.js'
import { batchKey } from '../../src/store/keys.js'
import { makeNodeHome, runCli, startNodeProcess, submitTxBytes, waitCommitted } from '../helpers/node-process.js'
import { makeTx } from '../helpers/txs.js'

t.test('seqnode check passes a clean folder; start and check refuse a damaged one', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'check-cli' })
  const node = await startNodeProcess(t, home.configFile)
  const txs = Array.from({ length: 5 }, (_, i) => makeTx({ chainId: home.genesis.chainId, rollups: [1 + (i % 2)] }))
  const hashes: string[] = []
  for (const tx of txs) {
    const reply = await submitTxBytes(node.url, tx.bytes)
    t.equal(reply.status, 202)
    hashes.push(reply.body.hash!)
  }
  t.equal((await waitCommitted(node.url, hashes)).missing.size, 0, 'the txs are final')
  const exit = await node.kill('SIGTERM')
  t.equal(exit.code, 0, 'stopped cleanly')

  const clean = await runCli(['check', '--config', home.configFile])
  t.equal(clean.code, 0, `check passes: ${clean.stdout.trim()} ${clean.stderr.trim()}`)
  t.match(clean.stdout, /is consistent: heights 0\.\.\d+/)

  const { dataDir } = await loadNodeConfig(home.configFile)
  const db = new Level<Uint8Array, Uint8Array>(dataDir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  await db.put(batchKey(0), Uint8Array.of(0x93, 0x01)) // height 0 no longer decodes
  await db.close()

  const check = await runCli(['check', '--config', home.configFile])
  t.equal(check.code, 1, 'check exits 1')
  t.match(check.stderr, `data folder ${dataDir} is corrupt: stored batch 0 does not decode`)
  t.match(check.stderr, '(STORE_CORRUPT)')

  // Heights 0.. are all within the recent heights of a short chain: start refuses too.
  const start = await runCli(['start', '--config', home.configFile, '--api-port', '0'])
  t.equal(start.code, 1, 'start exits 1')
  t.match(start.stderr, `data folder ${dataDir} is corrupt`)
  t.notMatch(start.stderr, /API listening/, 'the API never came up')

  const neither = await runCli(['check'])
  t.equal(neither.code, 1, 'check without --config or --home is refused')
})
