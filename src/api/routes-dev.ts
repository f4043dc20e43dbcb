/**
 * Dev control routes, registered only when the node runs with `dev.control` (the devnet
 * turns it on; otherwise these paths are 404 like any unknown route). They cut this member
 * off from the rest of the committee and restore it. Never enable on a node whose API
 * is reachable by others: anyone who can reach it can partition the member.
 */
import type { FastifyInstance } from 'fastify'

/** `GET /v1/dev/isolation`, and the reply of isolate and heal. */
export interface IsolationJson {
  isolated: boolean
  /** when the current isolation began (ms since the epoch), null when not isolated */
  since: number | null
}

/** What the node hands the API when dev control is on. */
export interface DevControl {
  state: () => IsolationJson
  isolate: () => IsolationJson
  heal: () => IsolationJson
}

export function registerDevRoutes (app: FastifyInstance, { control }: { control: DevControl }): void {
  app.get('/v1/dev/isolation', async (): Promise<IsolationJson> => control.state())
  app.post('/v1/dev/isolate', async (): Promise<IsolationJson> => control.isolate())
  app.post('/v1/dev/heal', async (): Promise<IsolationJson> => control.heal())
}
