/**
 * Open-loop load through the public API: signs txs for the given rollups at a fixed rate
 * and records when each was acknowledged, so latency is measured on the client clock.
 * Each rollup gets payloads its toy rollup understands (see `RollupPayloads`); a rollup
 * may be pinned to one node (token transfers from one faucet keep their nonce order).
 */
import { randomBytes } from 'node:crypto'
import { encode, TxSchema } from '../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../src/crypto/index.js'
import { signTx } from '../src/mempool/index.js'

export interface LoadStats {
  submitted: number
  acknowledged: number
  rejected: Map<string, number>
  failed: number
}

export interface RollupPayloads {
  next: () => Uint8Array
  /**
   * send this rollup's txs to this node only, one request at a time: concurrent requests
   * can arrive out of order, and one token transfer admitted before its predecessor fails
   * with a bad nonce, after which every later one does too
   */
  pinnedUrl?: string
}

export class LoadGenerator {
  readonly stats: LoadStats = { submitted: 0, acknowledged: 0, rejected: new Map(), failed: 0 }
  /** tx hash -> performance.now() at submit */
  readonly pending = new Map<string, number>()
  #timer: NodeJS.Timeout | null = null
  #nonce = 0
  readonly #signer = new Ed25519Signer(generateKeyPair().seed)
  readonly #inFlight = new Set<Promise<void>>()
  /** per pinned rollup: the last submission, which the next one waits for */
  readonly #queues = new Map<number, Promise<void>>()

  constructor (
    private readonly urls: string[],
    private readonly chainId: string,
    private readonly rollupIds: number[],
    private readonly payloads: Map<number, RollupPayloads> = new Map(),
    private readonly payloadBytes = 128
  ) {}

  start (tps: number): void {
    if (tps <= 0) return
    const tickMs = 10
    let owed = 0
    let last = performance.now()
    this.#timer = setInterval(() => {
      const now = performance.now()
      owed += (now - last) * tps / 1000
      last = now
      while (owed >= 1) { owed--; this.#submitOne() }
    }, tickMs)
  }

  #submitOne (): void {
    const rollupId = this.rollupIds[this.#nonce % this.rollupIds.length]!
    const source = this.payloads.get(rollupId)
    const payload = source?.next() ?? randomBytes(this.payloadBytes)
    const tx = signTx(this.chainId, {
      actions: [{ rollupId, payload }],
      nonce: this.#nonce++,
      expiry: Date.now() + 300_000
    }, this.#signer)
    const startedAt = performance.now()
    this.stats.submitted++
    const url = source?.pinnedUrl ?? this.urls[this.#nonce % this.urls.length]!
    const send = (): Promise<Response> => fetch(new URL('/v1/txs', url), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: encode(TxSchema, tx) })
    const before = source?.pinnedUrl === undefined ? undefined : this.#queues.get(rollupId)
    const p = (before === undefined ? send() : before.then(send))
      .then(async (res) => {
        const body = await res.json() as { hash?: string, error?: { code: string } }
        if (res.status === 202 && body.hash !== undefined) {
          this.stats.acknowledged++
          this.pending.set(body.hash, startedAt)
        } else {
          const code = body.error?.code ?? `HTTP_${res.status}`
          this.stats.rejected.set(code, (this.stats.rejected.get(code) ?? 0) + 1)
        }
      })
      .catch(() => { this.stats.failed++ })
      .finally(() => this.#inFlight.delete(p))
    this.#inFlight.add(p)
    if (source?.pinnedUrl !== undefined) this.#queues.set(rollupId, p)
  }

  async stop (): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await Promise.allSettled([...this.#inFlight])
  }
}
