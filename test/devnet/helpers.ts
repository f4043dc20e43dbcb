/** Shared by the devnet tests: the --json status line shape and process checks. */
import type { DevnetSnapshot } from '../../devnet/status-view.js'

export type StatusLine = DevnetSnapshot

/** Every child pid the status lines name (members, the external rollup). */
export function pidsOf (lines: StatusLine[]): number[] {
  const pids = new Set<number>()
  for (const line of lines) {
    for (const n of line.nodes) if (n.pid !== null) pids.add(n.pid)
    if (line.external?.pid != null) pids.add(line.external.pid)
  }
  return [...pids]
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function running (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
