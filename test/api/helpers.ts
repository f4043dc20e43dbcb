/** Shared test helpers: start an API server torn down with the test, and error checks. */
import { createApiServer, type ApiServerOptions, type ErrorBody } from '../../src/api/index.js'
import { FakeBackend } from './fake-backend.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export async function startServer (
  t: Teardown,
  backend = new FakeBackend(),
  opts: Partial<ApiServerOptions> = {}
): Promise<{ url: string, backend: FakeBackend }> {
  const server = createApiServer({ backend, bodyLimitBytes: 64 * 1024, ...opts })
  t.teardown(async () => { await server.stop() })
  const { url } = await server.start()
  return { url, backend }
}

/** Reads an error reply: checks the JSON envelope and returns the status and code. */
export async function errorOf (res: Response): Promise<{ status: number, code: string }> {
  const body = await res.json() as ErrorBody
  if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not an error body: ${JSON.stringify(body)}`)
  }
  return { status: res.status, code: body.error.code }
}

export async function bytesOf (res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer())
}
