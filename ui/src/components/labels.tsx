/** A map (labels, annotations, env vars) as compact name=value chips. */
export function Chips({ map }: { map: Record<string, string> | undefined }) {
  const entries = Object.entries(map ?? {})
  if (entries.length === 0) return <span class="muted">none</span>
  return (
    <ul class="chips">
      {entries.map(([key, value]) => (
        <li key={key}>
          <code title={`${key}=${value}`}>
            {key}={value}
          </code>
        </li>
      ))}
    </ul>
  )
}
