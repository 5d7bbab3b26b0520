import { useEffect, useMemo, useState } from 'preact/hooks'
import type { InvocationResult } from '../api/invoke'
import { showBody } from '../body'
import { bytes, milliseconds } from '../format'

/**
 * Status, timing, call id, cold start, where the time went (Server-Timing) and
 * the trace id, headers, and the body as text, pretty JSON or a download.
 */
export function InvokeResult({ result, name }: { result: InvocationResult; name: string }) {
  const shown = useMemo(() => showBody(result.body, result.contentType), [result])
  const [raw, setRaw] = useState(false)
  const download = useMemo(
    () =>
      URL.createObjectURL(
        new Blob([result.body], {
          type: result.contentType || 'application/octet-stream',
        }),
      ),
    [result],
  )
  useEffect(() => () => URL.revokeObjectURL(download), [download])
  const ok = result.status >= 200 && result.status < 300

  return (
    <section class="result" aria-label="Response" aria-live="polite">
      <p class="result-line">
        <span class={`badge ${ok ? 'good' : 'bad'}`} data-status={result.status}>
          {result.status} {result.statusText}
        </span>
        <span>{milliseconds(result.durationMs)}</span>
        <span>{bytes(result.body.length)}</span>
        {result.callId && (
          <span>
            call id <code class="call-id">{result.callId}</code>
          </span>
        )}
        {result.coldStartSeconds !== undefined && (
          <span class="badge busy cold-start">cold start ({result.coldStartSeconds} s)</span>
        )}
      </p>
      {result.timing.length > 0 && (
        <p class="timing" title="Server-Timing: where the time went">
          {result.timing.map((entry) => (
            <span key={entry.name} data-timing={entry.name} title={entry.description}>
              {entry.name}{' '}
              <strong>{entry.durationMs === undefined ? '—' : milliseconds(entry.durationMs)}</strong>
            </span>
          ))}
          {result.traceId && (
            <span>
              trace <code class="trace-id">{result.traceId}</code>
            </span>
          )}
        </p>
      )}
      <details>
        <summary>Response headers ({result.headers.length})</summary>
        <dl class="headers">
          {result.headers.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </details>
      {shown.kind === 'empty' && <p class="muted">Empty body.</p>}
      {shown.kind === 'json' && (
        <label class="check">
          <input type="checkbox" checked={raw} onChange={(e) => setRaw(e.currentTarget.checked)} /> Show raw
        </label>
      )}
      {(shown.kind === 'json' || shown.kind === 'text') && (
        <pre class="body" data-kind={shown.kind}>
          {shown.kind === 'json' && !raw ? shown.pretty : shown.text}
        </pre>
      )}
      {shown.kind === 'binary' && <p>Binary body ({result.contentType || 'no content type'}).</p>}
      {shown.kind !== 'empty' && (
        <a class="download" href={download} download={`${name}-response`}>
          Download body
        </a>
      )}
    </section>
  )
}
