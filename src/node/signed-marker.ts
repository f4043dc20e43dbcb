/**
 * Whether this member's key has signed consensus messages with this data folder: a file
 * next to the folder (not in it), written before the first safety state is stored, so a
 * wiped folder leaves it behind. A member that finds it and no safety state in the store
 * may have signed votes the lost state recorded, and listens before it signs
 * (ordering/safety-rules.ts); a member without it never signed and starts at once.
 */
import { access, writeFile } from 'node:fs/promises'

export function signedMarkerPath (dataDir: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}.member-signed`
}

export async function memberHasSigned (dataDir: string): Promise<boolean> {
  try {
    await access(signedMarkerPath(dataDir))
    return true
  } catch {
    return false
  }
}

export async function markMemberSigned (dataDir: string): Promise<void> {
  await writeFile(signedMarkerPath(dataDir), 'this member signed consensus messages with this data folder; see docs/OPERATIONS.md "Wiped member"\n')
}
