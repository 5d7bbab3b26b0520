import { type LogEntry, LogEntry as LogEntrySchema } from '../../../src/schemas/openfaas'
import { request } from './http'

/**
 * Follows a function's log (NDJSON, one entry per line) until `signal`
 * aborts or the gateway ends the stream (the function was deleted). Lines are
 * handed over as they arrive; a line that is not a LogEntry is shown as text
 * rather than dropped, so nothing the provider says is lost.
 */
export async function followLogs(
  name: string,
  namespace: string,
  onEntry: (entry: LogEntry) => void,
  signal: AbortSignal,
  tail = 100,
): Promise<void> {
  const params = new URLSearchParams({ name, follow: 'true', tail: String(tail) })
  if (namespace) params.set('namespace', namespace)
  const response = await request(`/system/logs?${params}`, { signal })
  if (!response.body) return
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  let pending = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      pending += value
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) if (line.trim()) onEntry(parseLine(line, name, namespace))
    }
    if (pending.trim()) onEntry(parseLine(pending, name, namespace))
  } finally {
    reader.releaseLock()
  }
}

function parseLine(line: string, name: string, namespace: string): LogEntry {
  try {
    const parsed = LogEntrySchema.safeParse(JSON.parse(line))
    if (parsed.success) return parsed.data
  } catch {}
  return { name, namespace, instance: '', timestamp: '', text: line }
}
