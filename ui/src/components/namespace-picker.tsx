type Props = { namespaces: string[]; value: string; onChange: (namespace: string) => void }

export function NamespacePicker({ namespaces, value, onChange }: Props) {
  if (namespaces.length === 0) return null
  return (
    <div class="namespace">
      <label for="namespace">Namespace</label>
      <select id="namespace" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {namespaces.map((ns) => (
          <option key={ns} value={ns}>
            {ns}
          </option>
        ))}
      </select>
    </div>
  )
}
