/**
 * The devnet's dev control endpoint (127.0.0.1 only, off outside the devnet): list the
 * members, stop one (SIGKILL, like a crash) and start it again from its data folder, or
 * isolate one from every other member (both ways) and heal it, so a user can watch the
 * committee lose and regain a member. Like the nodes' dev routes, it refuses requests
 * carrying an Origin header, so a web page cannot drive it (CSRF); curl and scripts can.
 */
import Fastify from 'fastify'
import { refuseBrowserOrigin } from '../src/api/index.js'

export interface ControlledNode {
  index: number
  url: string | null
  running: boolean
  /** cut off from the committee by POST /nodes/:i/isolate */
  isolated: boolean
  pid: number | null
}

export interface ControlTarget {
  list: () => ControlledNode[]
  stop: (index: number) => Promise<void>
  start: (index: number) => Promise<void>
  isolate: (index: number) => Promise<void>
  heal: (index: number) => Promise<void>
}

export const CONTROL_ROUTES = 'GET /nodes, POST /nodes/:i/stop (kill -9), /nodes/:i/start, /nodes/:i/isolate, /nodes/:i/heal'

export async function startControlServer (target: ControlTarget, port: number): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify({ logger: false })
  app.addHook('onRequest', refuseBrowserOrigin)
  const index = (raw: string): number => {
    const i = Number(raw)
    if (!/^\d+$/.test(raw) || i >= target.list().length) throw Object.assign(new Error(`no node ${raw}`), { statusCode: 404 })
    return i
  }
  app.get('/nodes', async () => target.list())
  for (const action of ['stop', 'start', 'isolate', 'heal'] as const) {
    app.post<{ Params: { i: string } }>(`/nodes/:i/${action}`, async (req) => {
      const i = index(req.params.i)
      await target[action](i)
      return target.list()[i]
    })
  }
  const url = await app.listen({ host: '127.0.0.1', port })
  return { url, close: () => app.close() }
}
