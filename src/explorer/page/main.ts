/**
 * The explorer page: polls the node's status, shows its recent batches with their commit
 * proofs and one rollup's slices, each slice verified here, in the browser, by the SDK.
 * Bundled with the compiled SDK (dist/client) by scripts/build-explorer.js.
 */
import { getJson, type BatchJson, type StatusJson } from './api.js'
import { clock } from './format.js'
import { renderBatches, renderSlices, renderStatus, renderTrust } from './render.js'
import { fetchSlices, type SliceResult } from './slices.js'
import { sameCommittee, trustFromGenesis, trustFromStatus, type TrustRoot } from './trust.js'

const POLL_MS = 1000
/** heights of slices fetched when a rollup is first shown, and kept */
const SLICE_HISTORY = 50
const SLICE_ROWS = 12
/** bounds one poll's work (each slice costs a few signature checks, more with many txs) */
const SLICES_PER_TICK = 20
const BATCH_ROWS = 8

const $ = (id: string): HTMLElement => document.getElementById(id)!

let status: StatusJson | null = null
let trust: TrustRoot | null = null
let rollupId: number | null = null
let slices: SliceResult[] = []
/** next height whose slice is fetched for `rollupId` */
let nextSlice = 0
const batches = new Map<number, BatchJson>()

function setConnection (ok: boolean, text: string): void {
  const conn = $('conn')
  conn.textContent = text
  conn.className = ok ? 'conn ok' : 'conn bad'
}

function resetSlices (): void {
  slices = []
  nextSlice = -1
}

function pickRollup (s: StatusJson): void {
  const select = $('rollup') as HTMLSelectElement
  if (select.options.length !== s.rollups.length) {
    select.replaceChildren(...s.rollups.map((r) => new Option(`${r.name} (rollup ${r.id})`, String(r.id))))
    const fromHash = Number(new URLSearchParams(location.hash.slice(1)).get('rollup'))
    const initial = s.rollups.find((r) => r.id === fromHash) ?? s.rollups[0]
    if (initial !== undefined) select.value = String(initial.id)
  }
  const chosen = select.value === '' ? null : Number(select.value)
  if (chosen !== rollupId) {
    rollupId = chosen
    resetSlices()
  }
}

async function updateSlices (final: number): Promise<void> {
  if (rollupId === null || trust === null || final < 0) return
  // A window, not a ledger: after a pause (or on a busy chain) skip to the recent heights.
  if (nextSlice < 0 || final - nextSlice >= SLICE_HISTORY) nextSlice = Math.max(0, final - SLICE_HISTORY + 1)
  if (nextSlice > final) return
  const asked = rollupId
  const root = trust
  const fresh = await fetchSlices(root.verifier, asked, nextSlice, Math.min(final, nextSlice + SLICES_PER_TICK - 1))
  if (asked !== rollupId || root !== trust) return // the user switched rollups or loaded a genesis meanwhile
  slices = [...slices, ...fresh].slice(-SLICE_HISTORY)
  nextSlice += fresh.length
}

async function updateBatches (final: number): Promise<void> {
  for (let h = final; h >= 0 && h > final - BATCH_ROWS; h--) {
    if (!batches.has(h)) batches.set(h, await getJson<BatchJson>(`v1/blocks/${h}`))
  }
  for (const h of batches.keys()) if (h <= final - BATCH_ROWS) batches.delete(h)
}

function render (): void {
  if (status === null) return
  $('status').replaceChildren(renderStatus(status))
  $('trust').replaceChildren(renderTrust(trust, status))
  const n = status.committee.length
  const quorum = `${n - Math.floor((n - 1) / 3)} of ${n} signatures`
  const showEmpty = ($('show-empty') as HTMLInputElement).checked
  const shown = slices.filter((r) => showEmpty || !r.ok || r.slice.txs.length + r.slice.skipped.length > 0).slice(-SLICE_ROWS).reverse()
  $('slices').replaceChildren(renderSlices(shown, quorum))
  const verified = slices.filter((r) => r.ok).length
  $('slice-summary').textContent = `${verified} of ${slices.length} recent slices verified in this browser, ${slices.length - verified} failed`
  const proven = new Set(slices.flatMap((r) => r.ok ? [r.slice.batchHash] : []))
  const list = [...batches.values()].sort((a, b) => b.height - a.height)
  $('batches').replaceChildren(renderBatches(list, status, proven))
}

async function tick (): Promise<void> {
  try {
    const s = await getJson<StatusJson>('v1/status')
    status = s
    if (trust === null || (trust.source === 'node' && !sameCommittee(trust.committee, s))) {
      trust = trustFromStatus(s)
      resetSlices()
    }
    pickRollup(s)
    await updateSlices(s.height)
    await updateBatches(s.height)
    setConnection(true, `live, updated ${clock(Date.now())}`)
  } catch (err) {
    setConnection(false, `node unreachable or failing: ${(err as Error).message}`)
  }
  render()
  setTimeout(() => { void tick() }, POLL_MS)
}

$('rollup').addEventListener('change', () => {
  location.hash = `rollup=${($('rollup') as HTMLSelectElement).value}`
  if (status !== null) pickRollup(status)
  render()
})
$('show-empty').addEventListener('change', render)
$('genesis-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0]
  if (file === undefined) return
  void file.text().then((text) => {
    try {
      trust = trustFromGenesis(text)
      resetSlices()
      $('genesis-error').textContent = ''
    } catch (err) {
      $('genesis-error').textContent = `not a usable genesis.json: ${(err as Error).message}`
    }
    render()
  })
})
void tick()
