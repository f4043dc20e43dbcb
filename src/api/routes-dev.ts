/**
 * Dev control routes, registered only when the node runs with `dev.control` (the devnet
 * and the chaos campaign turn it on; otherwise these paths are 404 like any unknown
 * route). They cut this member off from the rest of the committee and restore it, and
 * (`/v1/dev/faults`) inject a one-way partition and store faults at run time. Never
 * enable on a node whose API is reachable by others: anyone who can reach it can
 * partition the member or fail its disk.
 *
 * A request carrying an `Origin` header is refused (403 CROSS_ORIGIN_REFUSED): browsers
 * send it with every cross-site POST (and fetch), so a web page open on the developer's
 * machine cannot drive these routes (CSRF), while curl, the CLI and the devnet (Node's
 * fetch sends no Origin) still can.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, ApiErrorCode } from './errors.js'
import { routeSchemas } from './route-schemas.js'
import type { InjectableFaultCode, StoreWritePath } from '../store/index.js'

/** `GET /v1/dev/isolation`, and the reply of isolate and heal. */
export interface IsolationJson {
  isolated: boolean
  /** when the current isolation began (ms since the epoch), null when not isolated */
  since: number | null
}

/** `GET /v1/dev/faults`, and the reply of `POST /v1/dev/faults`. */
export interface DevFaultsJson {
  /** member indexes whose frames from this member are dropped (one-way partition) */
  mutedTo: number[]
  disk: {
    /** store write paths whose writes fail now, with `code` */
    failPaths: string[]
    code: string
    /** writes of every path wait this long first (0: none) */
    delayMs: number
    /** writes waiting in that delay right now */
    parkedWrites: number
    /** writes failed on purpose since start */
    injected: number
  }
}

/** `POST /v1/dev/faults`: each field present replaces that fault; absent ones stay as they are. */
export interface DevFaultsRequest {
  muteTo?: number[]
  /** null: the disk is back */
  diskFail?: { paths: StoreWritePath[], code: InjectableFaultCode } | null
  diskDelayMs?: number
}

/** What the node hands the API when dev control is on. */
export interface DevControl {
  state: () => IsolationJson
  isolate: () => IsolationJson
  heal: () => IsolationJson
  /** absent: `/v1/dev/faults` is not registered */
  faults?: {
    state: () => DevFaultsJson
    /** throws an ApiError (400 BAD_REQUEST) for a member index or path it does not know */
    set: (request: DevFaultsRequest) => DevFaultsJson
  }
}

/** [REFUSE] a dev control request comes from no web page (it has no Origin header) */
export async function refuseBrowserOrigin (request: FastifyRequest): Promise<void> {
  const origin = request.headers.origin
  if (origin !== undefined) throw new ApiError(403, ApiErrorCode.CROSS_ORIGIN_REFUSED, `dev control refuses requests from web pages (Origin: ${origin.slice(0, 100)})`)
}

export function registerDevRoutes (app: FastifyInstance, { control }: { control: DevControl }): void {
  const onRequest = refuseBrowserOrigin
  app.get('/v1/dev/isolation', { onRequest, schema: routeSchemas.devIsolation }, async (): Promise<IsolationJson> => control.state())
  app.post('/v1/dev/isolate', { onRequest, schema: routeSchemas.devIsolate }, async (): Promise<IsolationJson> => control.isolate())
  app.post('/v1/dev/heal', { onRequest, schema: routeSchemas.devHeal }, async (): Promise<IsolationJson> => control.heal())
  const faults = control.faults
  if (faults === undefined) return
  app.get('/v1/dev/faults', { onRequest, schema: routeSchemas.devFaults }, async (): Promise<DevFaultsJson> => faults.state())
  app.post<{ Body: DevFaultsRequest }>('/v1/dev/faults', { onRequest, schema: routeSchemas.devSetFaults }, async (request): Promise<DevFaultsJson> => faults.set(request.body))
}
