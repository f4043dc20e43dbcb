/**
 * HTTP and WebSocket client of one node's API (docs/API.md). Reads that the node could
 * lie about (slices) are verified against the genesis committee before they are
 * returned; status reads (tx status, heights) are the node's word and are typed as such.
 */
import type { NodeStatus, RollupLatestJson, SubmitResult, TxStatus } from '../api/types.js'
import { ApiFailureCode, ClientError, SequencerApiError, TxRejectedError, WaitTimeoutError } from './errors.js'
import { checkTxInSlices, txRollups } from './tx-proof.js'
import {
  sliceIterator, subscribeSlices,
  type SliceSubscription, type StreamDeps, type StreamOptions, type SubscribeOptions, type WebSocketConstructor
} from './stream.js'
import { txLane, type BuiltTx } from './tx.js'
import { sleep } from '../util/index.js'
import { createVerifier, type Committee, type SliceVerifier, type VerifiedSlice } from './verify.js'

export type { NodeStatus, SubmitResult }
export type TxStatusReply = TxStatus & { hash: string }

export type RollupLatest = RollupLatestJson

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

export interface SequencerClientOptions {
  /** API base URL, e.g. http://127.0.0.1:7300 */
  url: string
  /** default: the global fetch */
  fetch?: FetchLike
  /** default: the global WebSocket (browsers, Node 22+); in Node 20 pass the `ws` package's */
  WebSocket?: WebSocketConstructor
  /** trust root for slices (see committeeFromGenesis); needed by the slice methods */
  committee?: Committee
  /** a verifier made already (wins over `committee`) */
  verifier?: SliceVerifier
  /** per HTTP request; default 10 s */
  requestTimeoutMs?: number
}

export interface SubmitRetryOptions {
  /** retries after a 429/503 (so at most maxRetries + 1 attempts); default 5 */
  maxRetries?: number
  /** cap on one wait, whatever Retry-After says; default 30 s */
  maxDelayMs?: number
  signal?: AbortSignal
}

export interface WaitFinalOptions {
  /** default 30 s */
  timeoutMs?: number
  /** the longest pause between polls (they start at 25 ms and double); default 500 ms */
  maxPollMs?: number
  signal?: AbortSignal
}

export interface TxPosition {
  height: number
  /** position in the batch's tx order */
  index: number
}

export interface WaitTxOptions {
  /** default 60 s (a tx's default lifetime, so it settles within) */
  timeoutMs?: number
  signal?: AbortSignal
}

export type SubmitAndWaitOptions = WaitTxOptions & Omit<SubmitRetryOptions, 'signal'>

/** A tx proven final: its position, and the verified slices that hold its actions (one per rollup it touches). */
export interface FinalTx extends TxPosition {
  hash: string
  slices: VerifiedSlice[]
}

/** committed, or rejected (refused at admission, or with `reason`: acknowledged and dropped) */
export type SettledTxStatus = Extract<TxStatusReply, { status: 'committed' | 'rejected' }>

export const NO_COMMITTEE = 'NO_COMMITTEE'
const MSGPACK = 'application/msgpack'
const HASH_HEX = /^[0-9a-f]{64}$/
/** Used when a 429/503 carries no usable Retry-After. */
const DEFAULT_RETRY_AFTER_SECONDS = 1
/** Heights per range request: the API's maximum. */
const RANGE_HEIGHTS = 100
/** The API's longest long poll (`GET /v1/txs/:hash/wait?timeout=`), in seconds. */
const MAX_WAIT_SECONDS = 30
/** Pause before asking again after a failed or refused long poll. */
const WAIT_RETRY_MS = 500

export class SequencerClient {
  readonly url: string
  readonly #fetch: FetchLike
  readonly #WebSocket: WebSocketConstructor | undefined
  readonly #verifier: SliceVerifier | undefined
  readonly #timeoutMs: number

  constructor (opts: SequencerClientOptions) {
    if (typeof opts?.url !== 'string' || !/^https?:\/\//.test(opts.url)) throw new TypeError('url must be an http(s) URL')
    this.url = opts.url.replace(/\/+$/, '')
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch
    const fetchFn = opts.fetch ?? (globalFetch === undefined ? undefined : globalFetch.bind(globalThis))
    if (fetchFn === undefined) throw new TypeError('no global fetch: pass one in options.fetch')
    this.#fetch = fetchFn
    this.#WebSocket = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    this.#verifier = opts.verifier ?? (opts.committee === undefined ? undefined : createVerifier(opts.committee))
    this.#timeoutMs = opts.requestTimeoutMs ?? 10_000
  }

  /** `GET /v1/status`: the node's view (height, committee, mempool, rollups). */
  async status (): Promise<NodeStatus> {
    return await this.#getJson<NodeStatus>('/v1/status')
  }

  /**
   * `POST /v1/txs` with the encoded tx. Resolves once the tx is in the node's write-ahead
   * log; throws SequencerApiError (429/503 ones are `retryable`, with retryAfterSeconds).
   */
  async submit (tx: Uint8Array | BuiltTx): Promise<SubmitResult> {
    const bytes = tx instanceof Uint8Array ? tx : tx.bytes
    // fetch takes ArrayBuffer-backed views only (DOM BodyInit)
    const body = bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : new Uint8Array(bytes)
    const lane = txLane(tx)
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' }
    // lets the node refuse a rollup over its lane rate before it reads the body (docs/API.md)
    if (lane !== undefined) headers['x-rollup-id'] = String(lane)
    const res = await this.#request('/v1/txs', { method: 'POST', headers, body })
    if (res.status !== 202) throw await apiError(res)
    return await readJson<SubmitResult>(res)
  }

  /** submit(), retrying 429/503 after the Retry-After delay, at most `maxRetries` times. */
  async submitWithRetry (tx: Uint8Array | BuiltTx, opts: SubmitRetryOptions = {}): Promise<SubmitResult> {
    const maxRetries = opts.maxRetries ?? 5
    const maxDelayMs = opts.maxDelayMs ?? 30_000
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.submit(tx)
      } catch (err) {
        if (!(err instanceof SequencerApiError) || !err.retryable || attempt >= maxRetries || opts.signal?.aborted === true) throw err
        await sleep(Math.min(maxDelayMs, 1000 * (err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)), opts.signal)
      }
    }
  }

  /** `GET /v1/txs/:hash`; null when the node does not know the hash. */
  async txStatus (hash: string): Promise<TxStatusReply | null> {
    const res = await this.#request(`/v1/txs/${checkHash(hash)}`)
    if (res.status === 404) {
      await res.body?.cancel()
      return null
    }
    if (res.status !== 200) throw await apiError(res)
    return await readJson<TxStatusReply>(res)
  }

  /**
   * Polls the tx's status until it is committed (final). Rejects with TxRejectedError
   * (code: the node's reason, e.g. TX_EXPIRED) if it is rejected, WaitTimeoutError after
   * `timeoutMs`. Network failures and 5xx replies count as "not yet" (the node may be
   * restarting).
   */
  async waitFinal (hash: string, opts: WaitFinalOptions = {}): Promise<TxPosition> {
    checkHash(hash)
    const timeoutMs = opts.timeoutMs ?? 30_000
    const maxPollMs = opts.maxPollMs ?? 500
    const deadline = Date.now() + timeoutMs
    let last: string | null = null
    for (let pause = 25; ; pause = Math.min(pause * 2, maxPollMs)) {
      if (opts.signal?.aborted === true) throw abortError(opts.signal)
      let status: TxStatusReply | null = null
      try {
        status = await this.txStatus(hash)
      } catch (err) {
        if (!(err instanceof SequencerApiError) || !(err.status === 0 || err.status >= 500)) throw err
      }
      if (status !== null) {
        last = status.status
        if (status.status === 'committed') return { height: status.height, index: status.index }
        if (status.status === 'rejected') throw new TxRejectedError(status.code, status.message, hash, status.reason)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new WaitTimeoutError(hash, last, timeoutMs)
      await sleep(Math.min(pause, left), opts.signal)
    }
  }

  /**
   * Waits for the tx's fate with the node's long poll (`GET /v1/txs/:hash/wait`): resolves
   * with its status once committed or rejected (with `reason` when it was acknowledged and
   * then dropped); WaitTimeoutError after `timeoutMs`. Network failures, 5xx, a refused
   * wait (503 TOO_MANY_WAITERS) and an unknown hash (a node restarting, a follower that has
   * not heard of it) count as "not yet". The status is the node's word: see submitAndWait.
   */
  async waitTx (hash: string, opts: WaitTxOptions = {}): Promise<SettledTxStatus> {
    checkHash(hash)
    const timeoutMs = opts.timeoutMs ?? 60_000
    const deadline = Date.now() + timeoutMs
    let last: string | null = null
    const aborted = (): boolean => opts.signal?.aborted === true
    for (;;) {
      if (aborted()) throw abortError(opts.signal!)
      const left = deadline - Date.now()
      if (left <= 0) throw new WaitTimeoutError(hash, last, timeoutMs)
      const seconds = Math.min(MAX_WAIT_SECONDS, Math.floor(left / 1000))
      let pause = 0
      try {
        const res = await this.#request(`/v1/txs/${hash}/wait?until=final&timeout=${seconds}`, {}, seconds * 1000 + this.#timeoutMs, opts.signal)
        if (res.status === 200) {
          const status = await readJson<TxStatusReply>(res)
          last = status.status
          if (status.status === 'committed' || status.status === 'rejected') return status
          if (seconds === 0) pause = Math.min(WAIT_RETRY_MS, left)
        } else if (res.status === 404 || res.status === 429 || res.status >= 500) {
          const err = await apiError(res)
          if (res.status === 404 && err.code !== 'NOT_FOUND') throw err
          if (res.status === 404) last = null
          pause = err.retryAfterSeconds !== undefined ? 1000 * err.retryAfterSeconds : WAIT_RETRY_MS
        } else {
          throw await apiError(res)
        }
      } catch (err) {
        if (!(err instanceof SequencerApiError) || err.status !== 0) throw err
        if (aborted()) throw abortError(opts.signal!)
        pause = WAIT_RETRY_MS
      }
      if (pause > 0) await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), opts.signal)
    }
  }

  /**
   * Submits the tx (retrying 429/503 like submitWithRetry; a TX_DUPLICATE means it is held
   * already, so the wait goes on), waits for its fate, and proves it: resolves only once
   * every action of the tx is found, as signed, in its rollup's slice at the height the node
   * named, each slice verified against the committee (so a lying node cannot make a tx look
   * final). Throws TxRejectedError when it was refused or dropped (`reason`), TxProofError
   * (TX_NOT_IN_SLICE) when the node's claim does not hold, WaitTimeoutError after `timeoutMs`.
   */
  async submitAndWait (tx: BuiltTx, opts: SubmitAndWaitOptions = {}): Promise<FinalTx> {
    this.#requireVerifier()
    try {
      await this.submitWithRetry(tx, opts)
    } catch (err) {
      if (!(err instanceof SequencerApiError) || err.code !== 'TX_DUPLICATE') throw err
    }
    const status = await this.waitTx(tx.hash, opts)
    if (status.status === 'rejected') throw new TxRejectedError(status.code, status.message, tx.hash, status.reason)
    const slices = await Promise.all(txRollups(tx).map(async (rollupId) => await this.getSlice(rollupId, status.height)))
    checkTxInSlices(tx, status.height, slices)
    return { hash: tx.hash, height: status.height, index: status.index, slices }
  }

  /** `GET /v1/rollups/:id/latest` */
  async latest (rollupId: number): Promise<RollupLatest> {
    return await this.#getJson<RollupLatest>(`/v1/rollups/${checkUint(rollupId, 'rollupId')}/latest`)
  }

  /**
   * The rollup's verified slice at a final height. Throws SliceVerificationError if the
   * node's reply does not verify (or is of another rollup, height or chain), and
   * SequencerApiError NOT_FOUND while the height is not final.
   */
  async getSlice (rollupId: number, height: number): Promise<VerifiedSlice> {
    const verifier = this.#requireVerifier()
    const res = await this.#request(`/v1/rollups/${checkUint(rollupId, 'rollupId')}/slices/${checkUint(height, 'height')}`, { headers: { accept: MSGPACK } })
    if (res.status !== 200) throw await apiError(res)
    if (res.headers.get('content-type')?.startsWith(MSGPACK) !== true) {
      await res.body?.cancel()
      throw new SequencerApiError(ApiFailureCode.BAD_RESPONSE, `expected ${MSGPACK}, got ${res.headers.get('content-type') ?? 'no content type'}`, res.status)
    }
    return verifier.verifySliceBytes(new Uint8Array(await res.arrayBuffer()), { rollupId, height })
  }

  /**
   * Verified slices of heights from..to (inclusive) that are final: the result stops at
   * the final height, so it may be shorter than asked (never with a gap).
   */
  async getSlices (rollupId: number, from: number, to: number): Promise<VerifiedSlice[]> {
    const verifier = this.#requireVerifier()
    checkUint(rollupId, 'rollupId')
    checkUint(from, 'from')
    checkUint(to, 'to')
    const out: VerifiedSlice[] = []
    for (let next = from; next <= to;) {
      const last = Math.min(to, next + RANGE_HEIGHTS - 1)
      const page = await this.#getJson<{ slices: Array<{ encoded: string }> }>(`/v1/rollups/${rollupId}/slices?from=${next}&to=${last}`)
      if (!Array.isArray(page.slices) || page.slices.length === 0) break
      // Only `encoded` is used: the JSON fields beside it are unverified conveniences.
      if (page.slices.length > last - next + 1) throw new SequencerApiError(ApiFailureCode.BAD_RESPONSE, `${page.slices.length} slices for ${last - next + 1} heights`, 200)
      for (const view of page.slices) {
        out.push(verifier.verifySliceBytes(base64ToBytes(view.encoded), { rollupId, height: next }))
        next++
      }
    }
    return out
  }

  /**
   * Follows the rollup from `from`: verified slices in height order, no gaps, resumed
   * across disconnects; see SubscribeOptions and SliceSubscription.
   */
  subscribeSlices (opts: SubscribeOptions): SliceSubscription {
    return subscribeSlices(this.#streamDeps(), opts)
  }

  /** subscribeSlices as an async iterator: `for await (const s of client.slices(1, 0)) ...` */
  slices (rollupId: number, from: number, opts?: StreamOptions): AsyncIterableIterator<VerifiedSlice> {
    return sliceIterator(this.#streamDeps(), rollupId, from, opts)
  }

  #streamDeps (): StreamDeps {
    const verifier = this.#requireVerifier()
    const WebSocket = this.#WebSocket
    if (WebSocket === undefined) throw new TypeError('no global WebSocket: pass one in options.WebSocket (in Node 20, the `ws` package)')
    const base = this.url.replace(/^http/, 'ws')
    return { verifier, WebSocket, streamUrl: (rollup, from) => `${base}/v1/rollups/${rollup}/stream?from=${from}&format=msgpack&heartbeat=1` }
  }

  #requireVerifier (): SliceVerifier {
    if (this.#verifier === undefined) throw new ClientError(NO_COMMITTEE, 'slices are verified against the genesis committee: pass `committee` (committeeFromGenesis) or `verifier` to the client')
    return this.#verifier
  }

  async #getJson<T> (path: string): Promise<T> {
    const res = await this.#request(path)
    if (res.status !== 200) throw await apiError(res)
    return await readJson<T>(res)
  }

  /** fetch with a timeout; a failure without a reply becomes SequencerApiError NETWORK_ERROR. */
  async #request (path: string, init: RequestInit = {}, timeoutMs = this.#timeoutMs, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs)
    try {
      return await this.#fetch(`${this.url}${path}`, { ...init, signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]) })
    } catch (err) {
      throw new SequencerApiError(ApiFailureCode.NETWORK_ERROR, `${init.method ?? 'GET'} ${path}: ${(err as Error)?.message ?? String(err)}`, 0)
    }
  }
}

/** The node's `{"error": {code, message}}` reply as a SequencerApiError. */
async function apiError (res: Response): Promise<SequencerApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    // not JSON: reported as BAD_RESPONSE below
  }
  const error = (body as { error?: { code?: unknown, message?: unknown } } | null)?.error
  const code = typeof error?.code === 'string' ? error.code : ApiFailureCode.BAD_RESPONSE
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`
  return new SequencerApiError(code, message, res.status, retryAfter)
}

async function readJson<T> (res: Response): Promise<T> {
  try {
    return await res.json() as T
  } catch (err) {
    throw new SequencerApiError(ApiFailureCode.BAD_RESPONSE, `reply is not JSON: ${(err as Error).message}`, res.status)
  }
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined if absent or bad. */
export function parseRetryAfter (value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

function base64ToBytes (text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new SequencerApiError(ApiFailureCode.BAD_RESPONSE, 'a slice without its encoding', 200)
  let binary: string
  try {
    binary = atob(text)
  } catch {
    throw new SequencerApiError(ApiFailureCode.BAD_RESPONSE, 'a slice encoding that is not base64', 200)
  }
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

function checkHash (hash: string): string {
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) throw new TypeError('hash must be 64 lowercase hex characters')
  return hash
}

function checkUint (value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`)
  return value
}

function abortError (signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
}
