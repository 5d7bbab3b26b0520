import { useState } from 'preact/hooks'
import { deployFunction } from '../api/functions'
import { listSecrets } from '../api/secrets'
import {
  buildDeployment,
  type DeployDraft,
  type DeployField,
  emptyDraft,
  type FieldErrors,
  SCALE_LABELS,
} from '../forms/deployment'
import { usePoll } from '../hooks/use-poll'
import { ErrorNote } from './error-note'
import { describedBy, Field } from './field'
import { KeyValueEditor } from './key-value-editor'

type Props = {
  namespace: string
  namespaces: string[]
  onDeployed: (name: string, namespace: string) => void
}

/** Deploy a function: validated in the browser with the API's own schema, refused verbatim by the API otherwise. */
export function DeployForm({ namespace, namespaces, onDeployed }: Props) {
  const [draft, setDraft] = useState<DeployDraft>(() => emptyDraft(namespace))
  const [errors, setErrors] = useState<FieldErrors>({})
  const [refusal, setRefusal] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const secrets = usePoll((signal) => listSecrets(draft.namespace, signal), `secrets:${draft.namespace}`, {
    intervalMs: 10_000,
  })

  const update = <K extends DeployField>(field: K, value: DeployDraft[K]) => {
    setDraft((d) => ({ ...d, [field]: value }))
    setErrors(({ [field]: _, ...rest }) => rest)
  }
  const text = (field: 'service' | 'image' | 'envProcess' | 'scaleMin' | 'scaleMax') => ({
    id: `deploy-${field}`,
    value: draft[field],
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': describedBy(`deploy-${field}`, errors[field]),
    onInput: (e: { currentTarget: HTMLInputElement }) => update(field, e.currentTarget.value),
  })

  async function submit(event: Event) {
    event.preventDefault()
    setRefusal(undefined)
    const built = buildDeployment(draft)
    if ('errors' in built) {
      setErrors(built.errors)
      focusFirstError(built.errors)
      return
    }
    setBusy(true)
    try {
      await deployFunction(built.deployment)
      onDeployed(draft.service, draft.namespace)
    } catch (error) {
      setRefusal(error)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="deploy" onSubmit={submit} noValidate aria-labelledby="deploy-title">
      <h2 id="deploy-title" tabIndex={-1}>
        Deploy a function
      </h2>
      <div class="grid">
        <Field
          id="deploy-service"
          label="Name"
          error={errors.service}
          hint="a DNS-1123 label: a-z, 0-9 and -"
        >
          <input {...text('service')} required autocomplete="off" spellcheck={false} />
        </Field>
        <Field id="deploy-image" label="Image" error={errors.image}>
          <input {...text('image')} required placeholder="functions/alpine:latest" spellcheck={false} />
        </Field>
        <Field id="deploy-envProcess" label="Process (fprocess)" error={errors.envProcess}>
          <input {...text('envProcess')} placeholder="wc -l" spellcheck={false} />
        </Field>
        <Field id="deploy-namespace" label="Namespace" error={errors.namespace}>
          <select
            id="deploy-namespace"
            value={draft.namespace}
            onChange={(e) => update('namespace', e.currentTarget.value)}
          >
            {namespaces.length === 0 && <option value="">provider default</option>}
            {namespaces.map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        </Field>
      </div>

      <fieldset class="scaling">
        <legend>Scaling</legend>
        <div class="grid">
          <Field
            id="deploy-scaleMin"
            label="Minimum replicas"
            error={errors.scaleMin}
            hint={SCALE_LABELS.min}
          >
            <input {...text('scaleMin')} type="number" min={0} step={1} inputMode="numeric" placeholder="1" />
          </Field>
          <Field
            id="deploy-scaleMax"
            label="Maximum replicas"
            error={errors.scaleMax}
            hint={SCALE_LABELS.max}
          >
            <input
              {...text('scaleMax')}
              type="number"
              min={0}
              step={1}
              inputMode="numeric"
              placeholder="20"
            />
          </Field>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={draft.scaleZero}
            onChange={(e) => update('scaleZero', e.currentTarget.checked)}
          />
          May scale to zero when idle <code>{SCALE_LABELS.zero}=true</code>
        </label>
      </fieldset>

      <KeyValueEditor
        legend="Environment variables"
        noun="variable"
        pairs={draft.envVars}
        onChange={(pairs) => update('envVars', pairs)}
        error={errors.envVars}
        errorId="deploy-envVars-error"
      />
      <KeyValueEditor
        legend="Labels"
        noun="label"
        pairs={draft.labels}
        onChange={(pairs) => update('labels', pairs)}
        error={errors.labels}
        errorId="deploy-labels-error"
      />
      <KeyValueEditor
        legend="Annotations"
        noun="annotation"
        pairs={draft.annotations}
        onChange={(pairs) => update('annotations', pairs)}
        error={errors.annotations}
        errorId="deploy-annotations-error"
      />

      <fieldset class="secrets-choice">
        <legend>Secrets</legend>
        {secrets.value?.length === 0 && <p class="hint">No secrets in this namespace yet.</p>}
        {secrets.value?.map(({ name }) => (
          <label class="check" key={name}>
            <input
              type="checkbox"
              checked={draft.secrets.includes(name)}
              onChange={(e) =>
                update(
                  'secrets',
                  e.currentTarget.checked
                    ? [...draft.secrets, name]
                    : draft.secrets.filter((s) => s !== name),
                )
              }
            />
            {name}
          </label>
        ))}
        <ErrorNote error={secrets.error} label="Could not list secrets" />
        {errors.secrets && <p class="field-error">{errors.secrets}</p>}
      </fieldset>

      <ErrorNote error={refusal} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Deploying…' : 'Deploy'}
        </button>
      </div>
    </form>
  )
}

/** Keyboard and screen-reader users land on what needs fixing. */
function focusFirstError(errors: FieldErrors) {
  const field = Object.keys(errors)[0]
  const control =
    document.getElementById(`deploy-${field}`) ??
    document.getElementById(`deploy-${field}-error`)?.closest('fieldset')?.querySelector('input')
  control?.focus()
}
