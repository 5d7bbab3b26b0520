/** One entry of a `Server-Timing` header: `gateway;dur=1`, `db;dur=7;desc="query"`. */
export type TimingEntry = { name: string; durationMs: number | undefined; description: string | undefined }

// An entry: a name, then `;param=value` pairs whose value is a token or a quoted string.
const ENTRY = /\s*([^\s;,="]+)((?:\s*;\s*[^\s;,="]+\s*(?:=\s*(?:"(?:[^"\\]|\\.)*"|[^\s;,"]*))?)*)\s*(?:,|$)/y
const PARAM = /;\s*([^\s;,="]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s;,"]*))?/g

/**
 * The entries of a `Server-Timing` header in order: the function's own, then
 * the gateway's (`gateway`, `upstream`, `wake`). What cannot be read ends the list.
 */
export function parseServerTiming(header: string | null): TimingEntry[] {
  const entries: TimingEntry[] = []
  if (!header) return entries
  ENTRY.lastIndex = 0
  while (ENTRY.lastIndex < header.length) {
    const match = ENTRY.exec(header)
    if (!match) break
    let durationMs: number | undefined
    let description: string | undefined
    for (const [, key, raw = ''] of (match[2] ?? '').matchAll(PARAM)) {
      const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw
      if (key?.toLowerCase() === 'dur' && durationMs === undefined) {
        const n = Number(value)
        if (Number.isFinite(n)) durationMs = n
      } else if (key?.toLowerCase() === 'desc' && description === undefined) description = value
    }
    entries.push({ name: match[1] as string, durationMs, description })
  }
  return entries
}
