/**
 * Assert that code fails with an error carrying a given `.code` (CodecErrorCode, a node
 * errno like 'EEXIST', ...). Each helper records exactly one assertion on `t`: a pass when
 * the code matches, a fail when nothing was thrown or the code differs. The caught error is
 * returned so a test can look further (message, path); undefined when nothing was thrown.
 */

/** The part of a tap test object the helpers use (any tap `t` fits). */
export interface AssertTarget {
  pass (message: string): boolean
  fail (message: string, extra: Record<string, unknown>): boolean
}

export function throwsWithCode (t: AssertTarget, fn: () => unknown, code: string, message = `throws ${code}`): unknown {
  try {
    fn()
  } catch (err) {
    checkCode(t, err, code, message)
    return err
  }
  t.fail(`${message}: nothing was thrown`, { expectedCode: code })
  return undefined
}

export async function rejectsWithCode (
  t: AssertTarget,
  promiseOrFn: Promise<unknown> | (() => unknown),
  code: string,
  message = `rejects with ${code}`
): Promise<unknown> {
  try {
    // A function may throw synchronously or return a promise; both count.
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn)
  } catch (err) {
    checkCode(t, err, code, message)
    return err
  }
  t.fail(`${message}: it resolved instead`, { expectedCode: code })
  return undefined
}

function checkCode (t: AssertTarget, err: unknown, code: string, message: string): void {
  const actual = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  if (actual === code) {
    t.pass(message)
  } else {
    t.fail(`${message}: got ${actual === undefined ? 'an error without a code' : `code ${String(actual)}`}`, {
      expectedCode: code,
      actualCode: actual,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    })
  }
}
