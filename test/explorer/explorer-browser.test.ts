/**
 * The explorer page in a real headless Chromium against a real one-member node process:
 * the page shows live heights and recent batches, and verifies each slice in the browser
 * with the SDK. Through a proxy that alters two slices (one leaf's payload, one
 * certificate signature), the page marks exactly those as failed, with the SDK's reason.
 *
 * Set EXPLORER_SCREENSHOT=file.png to keep a screenshot of the honest page (how
 * docs/explorer.png was made).
 */
import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { SliceSchema, TxSchema, decode, encode } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { getJson, makeNodeHome, startNodeProcess, submitTxBytes, waitCommitted } from '../helpers/node-process.js'
import { chromiumMissing, collectPageErrors, launchBrowser, withScreenshot } from './browser.js'

const noBrowser = chromiumMissing()

t.test('the explorer page verifies slices in Chromium and flags tampered ones', { skip: noBrowser ?? false }, async (t) => {
  const home = await makeNodeHome(t, { chainId: 'explorer-e2e' })
  const node = await startNodeProcess(t, home.configFile)
  const { chainId } = home.genesis
  const signer = new Ed25519Signer(generateKeyPair().seed)
  let nonce = 0
  /** One tx per call, so each lands at its own height; returns that height. */
  const submit = async (rollupId: number, text: string): Promise<number> => {
    const tx = signTx(chainId, { actions: [{ rollupId, payload: new TextEncoder().encode(text) }], nonce: nonce++, expiry: Date.now() + 600_000 }, signer)
    const reply = await submitTxBytes(node.url, encode(TxSchema, tx))
    t.equal(reply.status, 202, `"${text}" acknowledged`)
    const hash = bytesToHex(txHash(chainId, tx))
    const { missing } = await waitCommitted(node.url, [hash], 20_000)
    t.equal(missing.size, 0, `"${text}" committed`)
    return (await getJson<{ height: number }>(node.url, `/v1/txs/${hash}`)).height
  }
  const heights = [
    await submit(1, 'hello explorer'),
    await submit(2, 'kv: set colour=blue'),
    await submit(1, 'second token tx'),
    await submit(1, 'third token tx')
  ]
  const [hello, , second, third] = heights as [number, number, number, number]
  t.comment(`txs at heights ${heights.join(', ')}`)

  const context = await launchBrowser(t)
  const sliceRow = (page: Page, height: number, verdict: string): ReturnType<Page['locator']> =>
    page.locator(`tr[data-slice-height="${height}"][data-verdict="${verdict}"]`)

  await t.test('honest node: every slice verified', async (t) => {
    const page = await context.newPage()
    const errors = collectPageErrors(page)
    await withScreenshot(page, 'honest', async () => {
      await page.goto(`${node.url}/`)
      for (const h of [hello, second, third]) await sliceRow(page, h, 'verified').waitFor({ timeout: 30_000 })
      t.match(await sliceRow(page, hello, 'verified').innerText(), /✓ verified[\s\S]*"hello explorer"/, 'the slice with its tx, verified')
      t.equal(await page.locator('tr[data-verdict="failed"]').count(), 0, 'no slice failed')
      const shownHeight = Number(await page.locator('#stat-height').innerText())
      t.ok(shownHeight >= third, `live final height shown (${shownHeight})`)
      t.match(await page.locator('#stat-leader').innerText(), /^0 /, 'the leader is member 0')
      t.match(await page.locator('#trust').innerText(), /chain explorer-e2e, 1 committee key/, 'the trust root is named')
      const batch = page.locator(`tr[data-batch-height="${shownHeight}"]`)
      await batch.waitFor({ timeout: 10_000 })
      t.match(await batch.innerText(), new RegExp(`${shownHeight + 1}@r\\d+[\\s\\S]*QC round \\d+ signed by 1/1`), 'a recent batch with its commit proof')

      await page.selectOption('#rollup', '2')
      await sliceRow(page, heights[1]!, 'verified').waitFor({ timeout: 30_000 })
      t.match(await sliceRow(page, heights[1]!, 'verified').innerText(), /"kv: set colour=blue"/, "the other rollup's slice, verified")
      const shot = process.env.EXPLORER_SCREENSHOT
      if (shot !== undefined) {
        await page.selectOption('#rollup', '1')
        await sliceRow(page, third, 'verified').waitFor({ timeout: 30_000 })
        await page.screenshot({ path: shot, fullPage: true })
      }
    })
    t.same(errors, [], 'no error or CSP violation in the page')
    await page.close()
  })

  await t.test('a node serving altered slices: the page says failed, and why', async (t) => {
    const proxy = await startTamperingProxy(t, node.url, (height, bytes) => {
      if (height !== hello && height !== second) return bytes
      const slice = decode(SliceSchema, bytes)
      if (height === hello) slice.leaves[0]![slice.leaves[0]!.length - 1]! ^= 1 // the payload's last byte
      else slice.finality.certificate.signatures[0]![0]! ^= 1
      return encode(SliceSchema, slice)
    })
    const page = await context.newPage()
    await withScreenshot(page, 'tampered', async () => {
      await page.goto(`${proxy}/`)
      await sliceRow(page, hello, 'failed').waitFor({ timeout: 30_000 })
      await sliceRow(page, second, 'failed').waitFor({ timeout: 30_000 })
      await sliceRow(page, third, 'verified').waitFor({ timeout: 30_000 })
      t.match(await sliceRow(page, hello, 'failed').innerText(), /✗ failed: SLICE_BAD_LEAVES\s+namespace proof does not verify/, 'an altered leaf: NMT proof refused')
      t.notMatch(await sliceRow(page, hello, 'failed').innerText(), /hello|explorer/, 'and its content is not shown')
      t.match(await sliceRow(page, second, 'failed').innerText(), /✗ failed: SLICE_NOT_FINAL\s+finality: certificate: signature of member 0 does not verify/, 'an altered signature: not final')
      t.match(await page.locator('#slice-summary').innerText(), /, 2 failed$/, 'the summary counts two failures')
    })
    await page.close()
  })
})

/**
 * An HTTP proxy in front of the node that passes everything through, except that the
 * encoded slices of rollup 1 in range replies go through `alter(height, bytes)`.
 */
async function startTamperingProxy (t: { teardown: (fn: () => unknown) => void }, target: string, alter: (height: number, bytes: Uint8Array) => Uint8Array): Promise<string> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const upstream = await fetch(`${target}${req.url ?? '/'}`, { headers: { accept: req.headers.accept ?? '*/*' } })
    let body = Buffer.from(await upstream.arrayBuffer())
    const range = /^\/v1\/rollups\/1\/slices\?from=(\d+)/.exec(req.url ?? '')
    if (range !== null && upstream.status === 200) {
      const json = JSON.parse(body.toString('utf8')) as { slices: Array<{ encoded: string }> }
      json.slices.forEach((s, i) => { s.encoded = Buffer.from(alter(Number(range[1]) + i, Buffer.from(s.encoded, 'base64'))).toString('base64') })
      body = Buffer.from(JSON.stringify(json))
    }
    const headers: Record<string, string> = {}
    for (const name of ['content-type', 'content-security-policy', 'cache-control']) {
      const value = upstream.headers.get(name)
      if (value !== null) headers[name] = value
    }
    res.writeHead(upstream.status, headers).end(body)
  }
  const server = createServer((req, res) => { handle(req, res).catch((err: Error) => res.writeHead(502).end(err.message)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
