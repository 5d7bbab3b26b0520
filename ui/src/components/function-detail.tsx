import { useEffect, useRef } from 'preact/hooks'
import type { FunctionStatus } from '../../../src/schemas/openfaas'
import { ago } from '../format'
import { DeletePanel } from './delete-panel'
import { InvokePanel } from './invoke-panel'
import { Chips } from './labels'
import { LogsPanel } from './logs-panel'
import { MetricsPanel } from './metrics-panel'
import type { Panel, PanelProps } from './panel'
import { Replicas } from './replicas'
import { ScalePanel } from './scale-panel'
import { ScheduleSummary } from './schedule'

// In page order; each is a <section> with its own heading.
const PANELS: Panel[] = [
  { id: 'invoke', title: 'Invoke', Component: InvokePanel },
  { id: 'scale', title: 'Scale', Component: ScalePanel },
  { id: 'metrics', title: 'Traffic', Component: MetricsPanel },
  { id: 'logs', title: 'Logs', Component: LogsPanel },
  { id: 'delete', title: 'Delete', Component: DeletePanel },
]

/** One function: what it is, then its panels. */
export function FunctionDetail(props: PanelProps) {
  const { fn } = props
  const heading = useRef<HTMLHeadingElement>(null)
  // Moving focus to the new heading tells keyboard and screen-reader users the page changed.
  useEffect(() => heading.current?.focus(), [fn.name])

  return (
    <article class="detail" aria-labelledby="detail-title">
      <h2 id="detail-title" tabIndex={-1} ref={heading}>
        {fn.name}
      </h2>
      <Summary fn={fn} />
      {PANELS.map(({ id, title, Component }) => (
        <section key={id} class={`panel panel-${id}`} aria-labelledby={`panel-${id}`}>
          <h3 id={`panel-${id}`}>{title}</h3>
          <Component {...props} />
        </section>
      ))}
    </article>
  )
}

function Summary({ fn }: { fn: FunctionStatus }) {
  return (
    <dl class="summary">
      <div>
        <dt>Image</dt>
        <dd>
          <code>{fn.image}</code>
        </dd>
      </div>
      <div>
        <dt>Process</dt>
        <dd>{fn.envProcess ? <code>{fn.envProcess}</code> : <span class="muted">none</span>}</dd>
      </div>
      <div>
        <dt>Replicas</dt>
        <dd>
          <Replicas fn={fn} />
        </dd>
      </div>
      <div>
        <dt>Invocations</dt>
        <dd>{fn.invocationCount ?? 0}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{fn.createdAt ? <time dateTime={fn.createdAt}>{ago(fn.createdAt)}</time> : ''}</dd>
      </div>
      <div>
        <dt>Labels</dt>
        <dd>
          <Chips map={fn.labels} />
        </dd>
      </div>
      <div>
        <dt>Annotations</dt>
        <dd>
          <Chips map={fn.annotations} />
        </dd>
      </div>
      <ScheduleSummary fn={fn} />
      <div>
        <dt>Environment</dt>
        <dd>
          <Chips map={fn.envVars} />
        </dd>
      </div>
      <div>
        <dt>Secrets</dt>
        <dd>{fn.secrets?.length ? fn.secrets.join(', ') : <span class="muted">none</span>}</dd>
      </div>
    </dl>
  )
}
