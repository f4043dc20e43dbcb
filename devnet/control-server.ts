/**
 * The devnet's dev control endpoint (127.0.0.1 only, off outside the devnet): list the
 * members, stop one (SIGKILL, like a crash) and start it again from its data folder, so a
 * user can watch the committee lose and regain a member.
 */
import Fastify from 'fastify'

export interface ControlledNode {
  index: number
  url: string | null
  running: boolean
}

export interface ControlTarget {
  list: () => ControlledNode[]
  stop: (index: number) => Promise<void>
  start: (index: number) => Promise<void>
}

export async function startControlServer (target: ControlTarget, port: number): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify({ logger: false })
  const index = (raw: string): number => {
    const i = Number(raw)
    if (!Number.isInteger(i) || i < 0 || i >= target.list().length) throw Object.assign(new Error(`no node ${raw}`), { statusCode: 404 })
    return i
  }
  app.get('/nodes', async () => target.list())
  app.post<{ Params: { i: string } }>('/nodes/:i/stop', async (req) => {
    await target.stop(index(req.params.i))
    return target.list()[index(req.params.i)]
  })
  app.post<{ Params: { i: string } }>('/nodes/:i/start', async (req) => {
    await target.start(index(req.params.i))
    return target.list()[index(req.params.i)]
  })
  const url = await app.listen({ host: '127.0.0.1', port })
  return { url, close: () => app.close() }
}
