/**
 * Fuzz of the API's request handling through fastify inject (the real server, routes,
 * parsers and error mapping; the fake backend of test/api, which decodes submitted txs
 * strictly): mutated JSON and binary submit bodies under assorted content types, JSON
 * values of any shape in place of tx fields, and fuzzed path and query parameters. Every
 * reply must be 2xx, or 4xx with the error envelope and a known code; a 5xx, a bad
 * envelope or a thrown inject is a failure.
 */
import fc from 'fast-check'
import { encode, TxSchema } from '../../src/codec/index.js'
import { AdmissionErrorCode } from '../../src/mempool/errors.js'
import { ApiErrorCode, bytesToBase64, createApiServer, txToJson, type ApiServer } from '../../src/api/index.js'
import { arbTx } from '../codec/arbitraries.js'
import { FakeBackend } from '../api/fake-backend.js'
import { mutate, Rng } from './mutate.js'

const KNOWN_CODES = new Set<string>([...Object.values(ApiErrorCode), ...Object.values(AdmissionErrorCode)])

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/octet-stream', 'application/msgpack',
  'APPLICATION/JSON', 'application/json;charset=UTF-8', 'application/x-msgpack', 'text/plain', 'text/html',
  'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1',
  'application/octet-stream; foo=bar', 'application/*', '*/*', 'application', ';', ''
]

/** Path and query templates; `@` is replaced by a fuzzed segment. */
const GET_TEMPLATES = [
  '/v1/blocks/@', '/v1/txs/@', '/v1/rollups/@', '/v1/rollups/@/latest', '/v1/rollups/@/state', '/v1/rollups/alpha/slices/@',
  '/v1/rollups/@/slices/3', '/v1/rollups/alpha/slices?from=@', '/v1/rollups/alpha/slices?from=1&to=@', '/v1/rollups/beta/slices?@',
  '/v1/rollups/alpha/query/@', '/v1/rollups/alpha/stream?from=@', '/@', '/v1/@', '/v1/status?@', '/healthz@'
]

const SEGMENT_WORDS = ['0', '1', '9', '10', '-1', '1.5', '1e3', '0x10', '00', '9007199254740991', '9007199254740992', '99999999999999999999',
  'alpha', 'beta', '7', 'ALPHA', '', '%', '%zz', '%00', '%2F', '..', '../..', '?', '#', '&', '=', ';', ' ', '%20', '\u00e9', 'ab'.repeat(32), 'zz'.repeat(32), 'from=1&from=2']

export interface ApiFuzzStats {
  requests: number
  /** by "status code", e.g. "400 TX_MALFORMED" or "202" */
  outcomes: Record<string, number>
}

export class ApiFuzzFailure extends Error {
  constructor (readonly request: string, readonly reason: string) {
    super(`${reason}\nrequest: ${request}`)
    this.name = 'ApiFuzzFailure'
  }
}

interface FuzzRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
}

export class ApiFuzzer {
  readonly stats: ApiFuzzStats = { requests: 0, outcomes: {} }
  readonly #rng: Rng
  readonly #server: ApiServer
  /** the backend behind the server (tests break it on purpose) */
  readonly backend = new FakeBackend()
  readonly #binary: Uint8Array[]
  readonly #jsonTexts: Uint8Array[]
  readonly #jsonValues: unknown[]
  readonly #txJsons: Array<Record<string, unknown>>

  constructor (readonly seed: number, corpus = 64) {
    this.#rng = new Rng(seed)
    this.#server = createApiServer({ backend: this.backend, bodyLimitBytes: 16 * 1024 })
    const txs = fc.sample(arbTx, { seed, numRuns: corpus })
    this.#binary = txs.map((tx) => encode(TxSchema, tx))
    this.#txJsons = txs.map((tx) => txToJson(tx) as unknown as Record<string, unknown>)
    this.#jsonTexts = [
      ...this.#txJsons.map((j) => Buffer.from(JSON.stringify(j))),
      ...this.#binary.map((b) => Buffer.from(JSON.stringify({ tx: bytesToBase64(b) })))
    ]
    this.#jsonValues = fc.sample(fc.jsonValue({ maxDepth: 3 }), { seed, numRuns: corpus * 4 })
  }

  async close (): Promise<void> {
    await this.#server.stop()
  }

  /** Sends the next fuzzed request; throws ApiFuzzFailure on a broken rule. */
  async step (): Promise<void> {
    const request = this.#next()
    let res
    try {
      res = await this.#server.inject(request)
    } catch (err) {
      throw new ApiFuzzFailure(describe(request), `inject threw: ${(err as Error).stack ?? String(err)}`)
    }
    let key = String(res.statusCode)
    if (res.statusCode >= 500) throw new ApiFuzzFailure(describe(request), `HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`)
    if (res.statusCode >= 400) {
      let code: unknown
      try {
        const body = JSON.parse(res.body) as { error?: { code?: unknown, message?: unknown } }
        code = body.error?.code
        if (typeof body.error?.message !== 'string') code = undefined
      } catch {}
      if (typeof code !== 'string' || !KNOWN_CODES.has(code)) throw new ApiFuzzFailure(describe(request), `HTTP ${res.statusCode} without a typed error: ${res.body.slice(0, 300)}`)
      key = `${res.statusCode} ${code}`
    } else if (res.statusCode < 200) {
      throw new ApiFuzzFailure(describe(request), `HTTP ${res.statusCode}`)
    }
    this.stats.requests++
    this.stats.outcomes[key] = (this.stats.outcomes[key] ?? 0) + 1
  }

  #next (): FuzzRequest {
    const rng = this.#rng
    const roll = rng.int(100)
    const contentType = rng.chance(0.8) ? undefined : rng.pick(CONTENT_TYPES)
    const post = (defaultType: string, payload: Uint8Array | string): FuzzRequest => ({
      method: 'POST',
      url: '/v1/txs',
      headers: { 'content-type': contentType ?? defaultType },
      payload: typeof payload === 'string' ? payload : Buffer.from(payload)
    })
    if (roll < 2) return post(rng.pick(['application/json', 'application/octet-stream']), rng.bytes(16 * 1024 + rng.int(4096)))
    if (roll < 35) return post('application/json', mutate(rng, rng.pick(this.#jsonTexts), this.#jsonTexts))
    if (roll < 60) return post(rng.chance(0.5) ? 'application/octet-stream' : 'application/msgpack', mutate(rng, rng.pick(this.#binary), this.#binary))
    if (roll < 75) {
      // a valid tx object with one field (or the whole body) replaced by any JSON value
      const body: Record<string, unknown> = { ...rng.pick(this.#txJsons) }
      const fields = ['actions', 'sender', 'nonce', 'expiry', 'signature', 'tx', '__proto__', 'constructor']
      const value = rng.pick(this.#jsonValues)
      const text = rng.chance(0.2) ? JSON.stringify(value) : JSON.stringify(body).replace(/}$/, `,${JSON.stringify(rng.pick(fields))}:${JSON.stringify(value)}}`)
      return post('application/json', text ?? 'null')
    }
    if (roll < 80) return post('application/json', JSON.stringify(rng.pick(this.#jsonValues)) ?? '')
    const template = rng.pick(GET_TEMPLATES)
    return { method: 'GET', url: template.replace('@', this.#segment()), headers: rng.chance(0.3) ? { accept: 'application/msgpack' } : {} }
  }

  /** A path or query segment: words that mean something to the parsers, random printable text, or percent-encoded bytes. */
  #segment (): string {
    const rng = this.#rng
    const roll = rng.int(3)
    if (roll === 0) return rng.pick(SEGMENT_WORDS)
    const bytes = rng.bytes(1 + rng.int(80))
    // printable ASCII; a backslash goes percent-encoded, since the inject client cannot even form `/\\...` as a URL
    if (roll === 1) return [...bytes].map((b) => String.fromCharCode(0x21 + (b % 94))).join('').replaceAll('\\', '%5C')
    return [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
  }
}

function describe (r: FuzzRequest): string {
  const payload = r.payload === undefined ? '' : ` body(hex)=${Buffer.from(r.payload).toString('hex').slice(0, 400)}`
  return `${r.method} ${r.url} ${JSON.stringify(r.headers)}${payload}`
}
