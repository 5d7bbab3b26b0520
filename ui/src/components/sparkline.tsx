/** A value over time, drawn to scale in a small SVG; no library, no fonts. */
export function Sparkline({
  points,
  label,
  unit,
  digits = 1,
}: {
  points: { at: number; value: number }[]
  label: string
  unit: string
  digits?: number
}) {
  const width = 240
  const height = 48
  const last = points.at(-1)?.value
  const max = Math.max(1e-9, ...points.map((p) => p.value))
  const first = points[0]?.at ?? 0
  const span = Math.max(1, (points.at(-1)?.at ?? 1) - first)
  const path = points
    .map(
      (p) =>
        `${(((p.at - first) / span) * width).toFixed(1)},${(height - 2 - (p.value / max) * (height - 4)).toFixed(1)}`,
    )
    .join(' ')
  const now = last === undefined ? 'no data yet' : `${last.toFixed(digits)}${unit ? ` ${unit}` : ''}`
  return (
    <figure class="spark">
      <figcaption>
        {label}: <strong>{now}</strong> <span class="muted">(peak {max.toFixed(digits)})</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label={`${label} over the last minutes, now ${now}`}
      >
        <line x1="0" y1={height - 1} x2={width} y2={height - 1} class="axis" />
        {points.length > 1 && <polyline points={path} class="trace" />}
      </svg>
    </figure>
  )
}
