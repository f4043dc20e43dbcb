/** Text for the page: short hashes, times, payload previews. */

export function short (hex: string, keep = 8): string {
  return hex.length <= keep * 2 ? hex : `${hex.slice(0, keep)}…${hex.slice(-4)}`
}

export function clock (ms: number): string {
  const d = new Date(ms)
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Printable UTF-8 is shown as text, anything else as hex; both cut to a preview. */
export function payloadPreview (bytes: Uint8Array, max = 32): string {
  let text: string | null = null
  try { text = utf8.decode(bytes) } catch { text = null }
  // eslint-disable-next-line no-control-regex
  if (text !== null && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) {
    return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text)
  }
  const hex = Array.from(bytes.subarray(0, max / 2), (b) => b.toString(16).padStart(2, '0')).join('')
  return `0x${hex}${bytes.length > max / 2 ? '…' : ''} (${bytes.length} B)`
}

export function bytesText (n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`
}

type Child = Node | string | null | undefined | false

/** A DOM element; children are nodes or text (never parsed as HTML). */
export function el (tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c)
  return node
}
