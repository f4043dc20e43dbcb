/** `seqnode submit`: sign and submit one tx from the command line (a key file or a throwaway key). */
import type { Command } from 'commander'
import { sleep } from '../util/index.js'

export function submitCommand (program: Command): void {
  program.command('submit')
    .description('sign and submit a transaction with one action, then wait until it is final')
    .requiredOption('--rollup <id|name>', 'target rollup')
    .requiredOption('--data <text>', 'payload (UTF-8 text; prefix with 0x for hex)')
    .option('--api <url>', 'node API URL', 'http://127.0.0.1:7300')
    .option('--key <file>', 'sender key file (default: a throwaway key)')
    .option('--no-wait', 'do not wait for finality')
    .action(async (opts: { rollup: string, data: string, api: string, key?: string, wait: boolean }) => {
      // Imported here so that `seqnode --help` does not load them (see cli.ts).
      const [{ encode, TxSchema }, { Ed25519Signer, generateKeyPair, loadKeyFile }, { signTx }] =
        await Promise.all([import('../codec/index.js'), import('../crypto/index.js'), import('../mempool/index.js')])
      const status = await (await fetch(new URL('/v1/status', opts.api))).json() as { chainId: string, rollups: Array<{ id: number, name: string }> }
      const rollup = status.rollups.find((r) => String(r.id) === opts.rollup || r.name === opts.rollup)
      if (rollup === undefined) throw new Error(`unknown rollup ${opts.rollup}; known: ${status.rollups.map((r) => r.name).join(', ')}`)
      const key = opts.key !== undefined ? await loadKeyFile(opts.key) : generateKeyPair()
      const payload = opts.data.startsWith('0x') ? Buffer.from(opts.data.slice(2), 'hex') : Buffer.from(opts.data, 'utf8')
      const tx = signTx(status.chainId, { actions: [{ rollupId: rollup.id, payload }], nonce: Date.now(), expiry: Date.now() + 600_000 }, new Ed25519Signer(key.seed))
      const res = await fetch(new URL('/v1/txs', opts.api), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: encode(TxSchema, tx) })
      const body = await res.json() as { hash?: string, error?: { code: string, message: string } }
      if (!res.ok) throw Object.assign(new Error(body.error?.message ?? `HTTP ${res.status}`), { code: body.error?.code })
      console.log(`submitted ${body.hash!}`)
      if (!opts.wait) return
      for (let i = 0; i < 300; i++) {
        const s = await (await fetch(new URL(`/v1/txs/${body.hash!}`, opts.api))).json() as { status: string, height?: number, index?: number }
        if (s.status === 'committed') { console.log(`final at height ${s.height!}, index ${s.index!}`); return }
        if (s.status === 'rejected') throw new Error(`rejected: ${JSON.stringify(s)}`)
        await sleep(100)
      }
      throw new Error('not final after 30 s')
    })
}

