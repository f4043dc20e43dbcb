/**
 * Whether this member's key has run before: a file next to the data folder (not in it), so
 * a wiped data folder leaves it behind. A member that finds it and no safety state in the
 * store may have signed votes the lost state recorded, and listens before it signs
 * (ordering/safety-rules.ts); a new member (no file) starts at once, as a new committee must.
 */
import { access, writeFile } from 'node:fs/promises'

export function startedMarkerPath (dataDir: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}.member-started`
}

/** True if the marker was there; writes it (before anything is signed) if it was not. */
export async function markMemberStarted (dataDir: string): Promise<boolean> {
  const path = startedMarkerPath(dataDir)
  try {
    await access(path)
    return true
  } catch {
    await writeFile(path, 'this member has started with this data folder; see docs/OPERATIONS.md "Wiped member"\n')
    return false
  }
}
