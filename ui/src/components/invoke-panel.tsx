import { useState } from 'preact/hooks'
import { type Invocation, type InvocationResult, invocationUrl, invoke } from '../api/invoke'
import { ErrorNote } from './error-note'
import { InvokeResult } from './invoke-result'
import type { PanelProps } from './panel'

const METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']
const CONTENT_TYPES = [
  'text/plain',
  'application/json',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
]

/** Call the function, synchronously or through the async queue with a callback URL. */
export function InvokePanel({ fn, namespace, refresh }: PanelProps) {
  const [call, setCall] = useState<Omit<Invocation, 'name' | 'namespace'>>({
    method: 'POST',
    path: '',
    query: '',
    contentType: 'text/plain',
    body: '',
  })
  const [callbackUrl, setCallbackUrl] = useState('')
  const [result, setResult] = useState<InvocationResult | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const full: Invocation = { ...call, name: fn.name, namespace }
  const hasBody = call.method !== 'GET' && call.method !== 'HEAD'
  const set = (field: keyof typeof call) => (e: { currentTarget: { value: string } }) =>
    setCall((c) => ({ ...c, [field]: e.currentTarget.value }))

  async function run(options: { callbackUrl?: string }) {
    setBusy(true)
    setError(undefined)
    setResult(undefined)
    try {
      setResult(await invoke(full, options))
      // The invocation count and, after a wake from zero, the replicas have changed.
      refresh()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      class="invoke"
      onSubmit={(e) => {
        e.preventDefault()
        void run({})
      }}
    >
      <div class="grid">
        <div class="field">
          <label for="invoke-method">Method</label>
          <select id="invoke-method" value={call.method} onChange={set('method')}>
            {METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="invoke-path">Path</label>
          <input
            id="invoke-path"
            value={call.path}
            onInput={set('path')}
            placeholder="/"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="invoke-query">Query</label>
          <input
            id="invoke-query"
            value={call.query}
            onInput={set('query')}
            placeholder="a=1&b=2"
            spellcheck={false}
          />
        </div>
        <div class="field">
          <label for="invoke-content-type">Content type</label>
          <input
            id="invoke-content-type"
            list="content-types"
            value={call.contentType}
            onInput={set('contentType')}
            disabled={!hasBody}
            spellcheck={false}
          />
          <datalist id="content-types">
            {CONTENT_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
      </div>
      <div class="field">
        <label for="invoke-body">Body</label>
        <textarea
          id="invoke-body"
          rows={4}
          value={call.body}
          onInput={set('body')}
          disabled={!hasBody}
          spellcheck={false}
        />
      </div>
      <p class="hint">
        <code>
          {call.method} {invocationUrl('function', full)}
        </code>
      </p>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Invoking…' : 'Invoke'}
        </button>
      </div>
      <div class="async">
        <div class="field">
          <label for="invoke-callback">Callback URL (async)</label>
          <input
            id="invoke-callback"
            type="url"
            value={callbackUrl}
            onInput={(e) => setCallbackUrl(e.currentTarget.value)}
            placeholder="https://example.com/hook"
            spellcheck={false}
          />
        </div>
        <button type="button" disabled={busy} onClick={() => void run({ callbackUrl })}>
          Invoke async
        </button>
      </div>
      <ErrorNote error={error} label="No answer" />
      {result && <InvokeResult result={result} name={fn.name} />}
    </form>
  )
}
