/**
 * The external token rollup process (devnet/rollup.ts, `npm run rollup`) against a real
 * one-member node: it computes the node's own token state height by height, refuses
 * slices that do not verify, survives kill -9 of itself (exactly once: no height executed
 * twice or skipped) and of the node (it reconnects and continues without a gap).
 */
import t from 'tap'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesToHex, committeeFromGenesis, generateSigningKey, SequencerClient } from '../../src/client/index.js'
import { freePorts, getJson, makeNodeHome, startNodeProcess, tempDir, type NodeHome } from '../helpers/node-process.js'
import { startNodeOnPort } from '../client/helpers.js'
import {
  faucetOf, isContiguous, Load, nodeRollupState, sleep, startRollup, until, type HeightEvent, type LoadKind, type RollupRun
} from './helpers.js'

interface Fixture { home: NodeHome, client: SequencerClient, load: Load, dir: string }

async function fixture (t: { teardown: (fn: () => unknown) => void }, home: NodeHome, url: string): Promise<Fixture> {
  const committee = committeeFromGenesis(await readFile(home.genesisFile, 'utf8'))
  const client = new SequencerClient({ url, committee })
  return { home, client, load: new Load(client, committee.chainId, await faucetOf(home)), dir: await tempDir(t, 'rollup-process-') }
}

/** The node's in-process token rollup once it has executed `height` (or more). */
async function nodeStateAt (url: string, height: number): Promise<{ height: number, stateRoot: string }> {
  let state = { height: -1, stateRoot: '' }
  await until(async () => (state = await nodeRollupState(url)).height >= height, () => `the node's token rollup to reach height ${height} (at ${state.height})`)
  return state
}

const rootsOf = (run: RollupRun): Map<number, string> => new Map(run.heights().map((e) => [e.height, e.stateRoot]))
const heightsOf = (events: HeightEvent[]): number[] => events.map((e) => e.height)

t.test('computes the node\'s token state height by height, and refuses slices it cannot verify', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'rollup-proc-1' })
  const node = await startNodeProcess(t, home.configFile)
  const { client, load, dir } = await fixture(t, home, node.url)

  // Rounds of txs, each final before the next: heights with transfers, with bundles, and
  // with kv writes only (an empty token slice, which must still be executed).
  const rounds: LoadKind[][] = [['transfer', 'transfer', 'kv'], ['kv'], ['bundle', 'transfer'], ['kv', 'kv'], ['transfer', 'bundle', 'kv'], ['kv'], ['transfer']]
  const nodeRoots = new Map<number, string>()
  for (const round of rounds) {
    const txs = []
    for (const kind of round) txs.push(await load.send(kind))
    await Promise.all(txs.map(async (tx) => await client.waitFinal(tx.hash)))
    const state = await nodeStateAt(node.url, (await client.status()).height)
    nodeRoots.set(state.height, state.stateRoot)
  }
  const top = (await client.status()).height
  t.comment(`${load.acked.length} txs, ${load.transfers} transfers, final height ${top}`)

  // Through the package.json script, as a user runs it.
  const run = startRollup(t, { node: node.url, home, data: join(dir, 'token'), until: top, viaNpm: true })
  t.same(await run.exited, { code: 0, signal: null }, `exits 0 after --until ${top}; stderr:\n${run.stderr()}`)
  const heights = run.heights()
  t.equal(run.opened()?.height, -1, 'a fresh folder starts before height 0')
  t.ok(isContiguous(heightsOf(heights), 0) && heights.at(-1)?.height === top, `heights 0..${top}, each once, in order`)
  const roots = rootsOf(run)
  for (const [height, root] of nodeRoots) t.equal(roots.get(height), root, `height ${height}: the node's in-process rollup has the same root`)
  t.equal(heights.reduce((n, e) => n + e.txs, 0), load.transfers, 'every token action was executed once')
  let previous = run.opened()!.stateRoot
  const unchanged = heights.filter((e) => { const same = e.stateRoot === previous; previous = e.stateRoot; return e.txs === 0 && !same })
  t.same(unchanged, [], 'a height without token txs keeps the root')
  t.ok(heights.some((e) => e.txs === 0), 'some heights had an empty token slice')
  const faucet = await faucetOf(home)
  const account = await getJson<{ nonce: number }>(node.url, `/v1/rollups/1/query/${bytesToHex(faucet.publicKey)}`)
  t.equal(account.nonce, load.transfers, 'and every transfer succeeded (the faucet\'s nonce counts them)')

  // Again on the same folder: nothing left to do.
  const again = startRollup(t, { node: node.url, home, data: join(dir, 'token'), until: top })
  t.same(await again.exited, { code: 0, signal: null }, 'a second run exits 0')
  t.equal(again.opened()?.height, top, 'it opens at the commitment')
  t.same(again.heights(), [], 'and executes nothing twice')

  // A genesis whose committee is not the one that signs: slices do not verify, nothing is executed.
  const genesis = JSON.parse(await readFile(home.genesisFile, 'utf8')) as { committee: Array<{ publicKey: string }> }
  genesis.committee[0]!.publicKey = bytesToHex(generateSigningKey().publicKey)
  const forged = join(dir, 'other-committee.json')
  await writeFile(forged, JSON.stringify(genesis))
  const refused = startRollup(t, { node: node.url, home, data: join(dir, 'refused'), genesisFile: forged, until: top })
  t.equal((await refused.exited).code, 1, 'a slice that does not verify stops the process with exit code 1')
  t.same(refused.heights(), [], 'no height was executed')
  t.match(refused.events.find((e) => e.event === 'failed'), { height: 0, code: 'SLICE_NOT_FINAL' }, 'it names the height and the reason')
  const reopened = startRollup(t, { node: node.url, home, data: join(dir, 'refused'), until: 0 })
  t.same(await reopened.exited, { code: 0, signal: null }, 'the same folder, opened with the right genesis')
  t.equal(reopened.opened()?.height, -1, 'the refused height left no trace in the folder')
  t.equal(reopened.heights()[0]?.stateRoot, roots.get(0), 'and with the right committee it executes height 0')
})

t.test('kill -9 of the rollup process mid-stream: it resumes at commitment + 1, exactly once', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'rollup-proc-2' })
  const node = await startNodeProcess(t, home.configFile)
  const { load, dir } = await fixture(t, home, node.url)
  load.start(15)

  const reference = startRollup(t, { node: node.url, home, data: join(dir, 'reference') })
  const first = startRollup(t, { node: node.url, home, data: join(dir, 'victim') })
  await until(() => first.lastHeight() >= 8, () => `8 heights before the kill (at ${first.lastHeight()}); stderr:\n${first.stderr()}`)
  await first.kill('SIGKILL')
  const printed = first.lastHeight()
  // Slices keep coming while it is down.
  await until(() => reference.lastHeight() >= printed + 5, () => `the reference past height ${printed + 5} (at ${reference.lastHeight()})`)
  const second = startRollup(t, { node: node.url, home, data: join(dir, 'victim') })
  await until(() => second.heights().length >= 5, () => `5 heights after the restart (at ${second.lastHeight()}); stderr:\n${second.stderr()}`)
  const top = await load.stop()
  await until(() => reference.lastHeight() >= top && second.lastHeight() >= top, () => `both to reach height ${top} (${reference.lastHeight()}, ${second.lastHeight()})`)
  const nodeState = await nodeStateAt(node.url, top)
  t.same(await Promise.all([reference.kill('SIGTERM'), second.kill('SIGTERM')]), [{ code: 0, signal: null }, { code: 0, signal: null }], 'SIGTERM stops both with exit code 0')
  t.comment(`killed after printing height ${printed}; final height ${top}`)

  const ref = rootsOf(reference)
  t.ok(isContiguous(heightsOf(reference.heights()), 0), 'the reference executed heights 0.. each once, in order')
  t.equal(ref.get(top), nodeState.stateRoot, `the reference agrees with the node's in-process rollup at height ${top}`)

  t.ok(isContiguous(heightsOf(first.heights()), 0), 'first run: heights 0.. each once, in order')
  const resumedAt = second.opened()!.height
  // A kill between the durable write of a height and its line leaves that height executed
  // but unprinted: the restart then opens one height later, and its root says so.
  t.ok(resumedAt === printed || resumedAt === printed + 1, `the restart opens at the last executed height (printed ${printed}, opened ${resumedAt})`)
  t.equal(second.opened()!.stateRoot, ref.get(resumedAt), 'its commitment has the reference root of that height')
  t.equal(second.heights()[0]?.height, resumedAt + 1, 'it resumes at commitment + 1')
  t.ok(isContiguous(heightsOf(second.heights()), resumedAt + 1), 'second run: each height once, in order')
  const both = [...heightsOf(first.heights()), ...heightsOf(second.heights())]
  t.equal(new Set(both).size, both.length, 'no height was executed twice')
  const mismatched = [...first.heights(), ...second.heights()].filter((e) => ref.get(e.height) !== e.stateRoot)
  t.same(mismatched, [], 'every root equals the never-stopped rollup\'s root at the same height')
  t.equal(rootsOf(second).get(top), nodeState.stateRoot, `and the final root at height ${top} is the node's`)
})

t.test('kill -9 of the node: the rollup process reconnects and continues without gaps', async (t) => {
  const [port] = await freePorts(1)
  const home = await makeNodeHome(t, { chainId: 'rollup-proc-3' })
  let node = await startNodeOnPort(t, home.configFile, port!)
  const { client, load, dir } = await fixture(t, home, node.url)
  load.start(15)

  const follower = startRollup(t, { node: node.url, home, data: join(dir, 'follower') })
  await until(() => follower.lastHeight() >= 6, () => `6 heights before the kill (at ${follower.lastHeight()}); stderr:\n${follower.stderr()}`)
  const before = (await client.status()).height
  await node.kill()
  await sleep(300)
  node = await startNodeOnPort(t, home.configFile, port!)
  await until(() => follower.lastHeight() >= before + 6, () => `6 heights past the kill at ${before} (at ${follower.lastHeight()}); stderr:\n${follower.stderr()}`)
  const top = await load.stop()
  await until(() => follower.lastHeight() >= top, () => `height ${top} (at ${follower.lastHeight()})`)
  const nodeState = await nodeStateAt(node.url, top)
  t.comment(`node killed at final height ${before}; final height ${top}`)

  t.equal(follower.child.exitCode, null, 'the rollup process kept running through the outage')
  t.match(follower.stderr(), /STREAM_DISCONNECTED/, 'it reported the disconnect')
  t.ok(isContiguous(heightsOf(follower.heights()), 0), 'heights 0.. each once, in order: no gap, no repeat')
  t.equal(rootsOf(follower).get(top), nodeState.stateRoot, `its root at height ${top} is the node's in-process rollup's`)
  t.same(await follower.kill('SIGTERM'), { code: 0, signal: null }, 'SIGTERM stops it with exit code 0')

  // Height by height, against a run that never saw the outage.
  const fresh = startRollup(t, { node: node.url, home, data: join(dir, 'fresh'), until: top })
  t.same(await fresh.exited, { code: 0, signal: null }, 'a fresh run to the same height')
  const follow = rootsOf(follower)
  t.same(fresh.heights().filter((e) => follow.get(e.height) !== e.stateRoot), [], 'every root equals a fresh run\'s root at the same height')
})
