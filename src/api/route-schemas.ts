/**
 * The routes' schemas: fastify validates path and query parameters with them (a failure is
 * 400 BAD_REQUEST, like the routes' own checks), and @fastify/swagger builds the OpenAPI
 * document at `/v1/openapi.json` from them. Parameters stay strings here: the routes parse
 * and bound them (request-params.ts) so every refusal keeps its one message and code.
 * Bodies and replies are described in docs/API.md (binary bodies have no JSON schema).
 */
import { INJECTABLE_FAULT_CODES, STORE_WRITE_PATHS } from '../store/index.js'

export const DEFAULT_WAIT_SECONDS = 20
/** below the API's idle socket timeout (60 s) with room to spare */
export const MAX_WAIT_SECONDS = 30

const hashParam = { type: 'object', properties: { hash: { type: 'string', description: 'tx hash, 64 hex characters' } }, required: ['hash'] } as const
const rollupParam = { type: 'object', properties: { id: { type: 'string', description: 'rollup id or name' } }, required: ['id'] } as const

function route (tag: string, summary: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { tags: [tag], summary, ...extra }
}

export const routeSchemas = {
  health: route('node', 'Liveness: {"ok": true}'),
  status: route('node', 'Chain id, node, height, round, leader, committee, peers, mempool, rollups'),
  metrics: route('node', 'Prometheus text exposition'),
  openapi: route('node', 'This OpenAPI 3.1 document'),
  block: route('chain', 'A final batch (JSON, or the encoded Batch with Accept: application/msgpack)', {
    params: { type: 'object', properties: { height: { type: 'string', description: 'final height' } }, required: ['height'] }
  }),
  submitTx: route('txs', 'Submit a tx: the encoded Tx (application/octet-stream, application/msgpack), {"tx": base64} or a JSON tx; 202 once in the write-ahead log'),
  submitBatch: route('txs', 'Submit many encoded txs (a msgpack array of bin); one result per tx'),
  txStatus: route('txs', 'A tx status: pending, relayed, proposed, committed (height, index) or rejected (code, reason when dropped)', { params: hashParam }),
  txWait: route('txs', 'Wait until a tx is final or dropped (long poll)', {
    params: hashParam,
    querystring: {
      type: 'object',
      properties: {
        until: { type: 'string', enum: ['final'], description: 'final: committed, or rejected (refused, or dropped with a reason)' },
        timeout: { type: 'string', description: `seconds to wait, 0..${MAX_WAIT_SECONDS} (default ${DEFAULT_WAIT_SECONDS}); on timeout the current status is returned` }
      }
    }
  }),
  txStream: route('txs', 'WebSocket: send {"watch": [hashes]}, get each status and its changes until settled', { 'x-websocket': true }),
  rollups: route('rollups', 'The rollups of genesis: id, name, weight'),
  rollupStates: route('rollups', "Every in-process rollup's height, state root and lag"),
  rollupState: route('rollups', "One in-process rollup's height, state root and lag", { params: rollupParam }),
  rollupQuery: route('rollups', "A query of an in-process rollup's state", {
    params: { type: 'object', properties: { id: rollupParam.properties.id, key: { type: 'string', description: 'hex key' } }, required: ['id', 'key'] }
  }),
  rollupLatest: route('rollups', 'Latest final height holding the rollup\'s txs, and the final height', { params: rollupParam }),
  slice: route('rollups', "A rollup's slice at a final height, with commit proof and NMT proof (Accept: application/msgpack for the encoded Slice)", {
    params: { type: 'object', properties: { id: rollupParam.properties.id, height: { type: 'string', description: 'final height' } }, required: ['id', 'height'] }
  }),
  slices: route('rollups', 'A bounded range of slices (at most 100 heights); ask again from `next`', {
    params: rollupParam,
    querystring: { type: 'object', properties: { from: { type: 'string', description: 'first height' }, to: { type: 'string', description: 'last height (inclusive)' } } }
  }),
  sliceStream: route('rollups', 'WebSocket: every slice from a height on, in order, then live; heartbeats with heartbeat=1', {
    'x-websocket': true,
    params: rollupParam,
    querystring: {
      type: 'object',
      properties: {
        from: { type: 'string', description: 'first height (default 0)' },
        format: { type: 'string', description: 'json (default) or msgpack' },
        heartbeat: { type: 'string', description: '1 or true: heartbeat messages every api.streamHeartbeatMs' }
      }
    }
  }),
  devIsolation: route('dev', 'Dev control (dev.control only): whether this member is isolated'),
  devIsolate: route('dev', 'Dev control (dev.control only): cut this member off from the committee'),
  devHeal: route('dev', 'Dev control (dev.control only): restore its links'),
  devFaults: route('dev', 'Dev control (dev.control only): the injected one-way partition and store faults'),
  devSetFaults: route('dev', 'Dev control (dev.control only): drop frames to members, fail or delay store writes', {
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        muteTo: { type: 'array', items: { type: 'integer', minimum: 0 }, maxItems: 1024 },
        diskFail: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['paths', 'code'],
          properties: {
            paths: { type: 'array', items: { type: 'string', enum: [...STORE_WRITE_PATHS] }, maxItems: STORE_WRITE_PATHS.length },
            code: { type: 'string', enum: [...INJECTABLE_FAULT_CODES] }
          }
        },
        diskDelayMs: { type: 'integer', minimum: 0, maximum: 600000 }
      }
    }
  })
} as const
