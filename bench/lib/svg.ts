/** Small hand-written SVG line charts: linear or log axes, several series, a legend. */

export interface Series {
  name: string
  points: Array<[number, number]>
  color?: string
  dash?: boolean
  markers?: boolean
}

export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  xLog?: boolean
  yLog?: boolean
  width?: number
  height?: number
  yMin?: number
  yMax?: number
  xMin?: number
  xMax?: number
  /** shaded x ranges, e.g. the warmup */
  bands?: Array<{ from: number, to: number, label: string }>
  series: Series[]
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f']

export function lineChart (o: ChartOptions): string {
  const W = o.width ?? 760
  const longest = Math.max(10, ...o.series.map((x) => x.name.length))
  const legendCols = Math.max(1, Math.min(4, Math.floor((W - 70) / (longest * 6.6 + 44))))
  const legendRows = Math.ceil(o.series.length / legendCols)
  const ph = (o.height ?? 420) - 95
  const m = { left: 70, right: 20, top: 40, bottom: 55 + legendRows * 18 + 8 }
  const H = m.top + ph + m.bottom
  const pw = W - m.left - m.right
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.xLog || x > 0) && (!o.yLog || y > 0))
  const xs = all.map((p) => p[0])
  const ys = all.map((p) => p[1])
  let x0 = o.xMin ?? (xs.length > 0 ? Math.min(...xs) : 0)
  let x1 = o.xMax ?? (xs.length > 0 ? Math.max(...xs) : 1)
  let y0 = o.yMin ?? (ys.length > 0 ? Math.min(0, ...ys) : 0)
  let y1 = o.yMax ?? (ys.length > 0 ? Math.max(...ys) : 1)
  if (o.yLog) y0 = o.yMin ?? (ys.length > 0 ? Math.min(...ys) : 1)
  if (x1 <= x0) x1 = x0 + 1
  if (y1 <= y0) y1 = y0 + 1
  const xt = o.xLog ? logTicks(x0, x1) : niceTicks(x0, x1)
  const yt = o.yLog ? logTicks(y0, y1) : niceTicks(y0, y1)
  if (!o.xLog) { x0 = Math.min(x0, xt[0]!); x1 = Math.max(x1, xt.at(-1)!) } else { x0 = Math.min(x0, xt[0]!); x1 = Math.max(x1, xt.at(-1)!) }
  if (!o.yLog) { y0 = Math.min(y0, yt[0]!); y1 = Math.max(y1, yt.at(-1)!) } else { y0 = Math.min(y0, yt[0]!); y1 = Math.max(y1, yt.at(-1)!) }
  const fx = (x: number): number => m.left + pw * (o.xLog ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0))
  const fy = (y: number): number => m.top + ph * (1 - (o.yLog ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)))
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`)
  for (const b of o.bands ?? []) {
    const a = fx(Math.max(b.from, x0))
    const z = fx(Math.min(b.to, x1))
    if (z > a) {
      out.push(`<rect x="${a.toFixed(1)}" y="${m.top}" width="${(z - a).toFixed(1)}" height="${ph}" fill="#eeeeee"/>`)
      out.push(`<text x="${((a + z) / 2).toFixed(1)}" y="${m.top + 14}" text-anchor="middle" fill="#888">${esc(b.label)}</text>`)
    }
  }
  for (const t of xt) {
    const x = fx(t)
    out.push(`<line x1="${x.toFixed(1)}" y1="${m.top}" x2="${x.toFixed(1)}" y2="${m.top + ph}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${x.toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`)
  }
  for (const t of yt) {
    const y = fy(t)
    out.push(`<line x1="${m.left}" y1="${y.toFixed(1)}" x2="${m.left + pw}" y2="${y.toFixed(1)}" stroke="#e4e4e4"/>`)
    out.push(`<text x="${m.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`)
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 36}" text-anchor="middle">${esc(o.xLabel)}</text>`)
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`)
  out.push(`<defs><clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`)
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.xLog || x > 0) && (!o.yLog || y > 0))
    if (pts.length > 0) {
      const d = pts.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${fx(x).toFixed(1)},${fy(y).toFixed(1)}`).join(' ')
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dash === true ? ' stroke-dasharray="6 4"' : ''} clip-path="url(#plot)"/>`)
      if (s.markers === true) for (const [x, y] of pts) out.push(`<circle cx="${fx(x).toFixed(1)}" cy="${fy(y).toFixed(1)}" r="3.5" fill="${color}"/>`)
    }
    const colW = (W - m.left) / legendCols
    const lx = m.left + (i % legendCols) * colW
    const ly = m.top + ph + 50 + Math.floor(i / legendCols) * 18
    out.push(`<line x1="${lx.toFixed(1)}" y1="${ly}" x2="${(lx + 24).toFixed(1)}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dash === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    out.push(`<text x="${(lx + 30).toFixed(1)}" y="${ly + 4}">${esc(s.name)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function niceTicks (lo: number, hi: number, count = 6): number[] {
  const span = hi - lo
  const raw = span / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((st) => span / st <= count) ?? 10 * mag
  const start = Math.floor(lo / step) * step
  const out: number[] = []
  for (let v = start; v <= hi + step * 0.999; v += step) out.push(Math.round(v / step) * step)
  return out
}

function logTicks (lo: number, hi: number): number[] {
  const out: number[] = []
  const a = Math.floor(Math.log10(Math.max(lo, 1e-9)))
  const b = Math.ceil(Math.log10(Math.max(hi, lo * 10)))
  const dense = b - a <= 3
  for (let e = a; e <= b; e++) {
    for (const f of dense ? [1, 2, 5] : [1]) {
      const v = f * 10 ** e
      if (v >= 10 ** a && v <= 10 ** b) out.push(v)
    }
  }
  return out
}

function fmt (v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`
  if (a >= 1) return `${+v.toFixed(2)}`
  return `${+v.toPrecision(2)}`
}

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
