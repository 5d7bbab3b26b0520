import { useEffect, useState } from 'preact/hooks'
import type { FunctionStatus } from '../../../src/schemas/openfaas'
import { listSchedules, type ScheduleView } from '../api/schedules'

/** A scheduled function's schedule and next run (the cron-connector's annotations), as the gateway's scheduler sees it. */
export function ScheduleSummary({ fn }: { fn: FunctionStatus }) {
  const scheduled = (fn.annotations?.topic ?? '').split(',').some((t) => t.trim() === 'cron-function')
  const [view, setView] = useState<ScheduleView | null | undefined>(undefined)
  useEffect(() => {
    if (!scheduled) return
    const aborter = new AbortController()
    listSchedules(fn.namespace ?? '', aborter.signal).then(
      (list) => setView(list.find((s) => s.name === fn.name) ?? null),
      () => setView(null),
    )
    return () => aborter.abort()
  }, [fn.name, fn.namespace, scheduled])
  if (!scheduled) return null
  return (
    <div>
      <dt>Schedule</dt>
      <dd>
        <code>{fn.annotations?.schedule ?? ''}</code>
        {view?.timezone && view.timezone !== 'UTC' ? ` (${view.timezone})` : ''}
        {view?.error ? (
          <span class="schedule-error"> {view.error}</span>
        ) : view?.nextSlot ? (
          <>
            {' · next run '}
            <time dateTime={view.nextSlot}>{new Date(view.nextSlot).toLocaleString()}</time>
          </>
        ) : view === null ? (
          <span class="muted"> · not yet picked up by the gateway</span>
        ) : null}
      </dd>
    </div>
  )
}
