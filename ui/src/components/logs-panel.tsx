import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { LogEntry } from '../../../src/schemas/openfaas'
import { followLogs } from '../api/logs'
import { ErrorNote } from './error-note'
import type { PanelProps } from './panel'

// Enough to read back through a burst; older lines are dropped so a chatty function cannot fill the tab's memory.
const KEEP = 500

type State = 'following' | 'ended' | 'stopped'

/** The function's log, followed live over one streamed request while the panel is on. */
export function LogsPanel({ fn, namespace }: PanelProps) {
  const [on, setOn] = useState(false)
  const [lines, setLines] = useState<LogEntry[]>([])
  const [state, setState] = useState<State>('stopped')
  const [error, setError] = useState<unknown>(undefined)
  const list = useRef<HTMLDivElement>(null)
  const stick = useRef(true)

  useEffect(() => {
    if (!on) return
    const controller = new AbortController()
    setLines([])
    setError(undefined)
    setState('following')
    followLogs(
      fn.name,
      namespace,
      (entry) => setLines((old) => [...old, entry].slice(-KEEP)),
      controller.signal,
    )
      .then(() => setState('ended'))
      .catch((e) => {
        if (controller.signal.aborted) return
        setError(e)
        setState('stopped')
      })
    return () => {
      controller.abort()
      setState('stopped')
    }
  }, [on, fn.name, namespace])

  // Keep the newest line in view unless the user scrolled up to read.
  useLayoutEffect(() => {
    const el = list.current
    if (el && stick.current) el.scrollTop = el.scrollHeight
  }, [lines])

  return (
    <div class="logs">
      <div class="inline">
        <button type="button" aria-pressed={on} onClick={() => setOn(!on)}>
          {on ? 'Stop following' : 'Follow logs'}
        </button>
        <span class="muted" aria-live="polite">
          {state === 'following' ? 'following…' : state === 'ended' ? 'the log ended' : ''}
        </span>
      </div>
      <ErrorNote error={error} label="Logs unavailable" />
      {(on || lines.length > 0) && (
        <div
          class="log"
          role="log"
          aria-label={`Logs of ${fn.name}`}
          ref={list}
          onScroll={(e) => {
            const el = e.currentTarget
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24
          }}
        >
          <ol>
            {lines.map((line, i) => (
              <li key={i}>
                <time dateTime={line.timestamp}>{line.timestamp.slice(11, 23)}</time>
                <span class="instance">{line.instance}</span>
                <span class="text">{line.text}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  )
}
