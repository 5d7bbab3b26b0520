import { useState } from 'preact/hooks'
import { issueText } from '../../../src/schemas/issues'
import { Secret } from '../../../src/schemas/openfaas'
import { saveSecret } from '../api/secrets'
import { ErrorNote } from './error-note'
import { describedBy, Field } from './field'

type Props = {
  namespace: string
  /** Set to update that secret's value; unset to create a new secret. */
  name?: string
  onSaved: () => void
  onCancel?: () => void
}

/**
 * Create a secret, or give an existing one a new value. The value field is
 * write-only: it starts empty, is emptied once the API has it, and nothing
 * the portal reads ever contains a value.
 */
export function SecretForm({ namespace, name: existing, onSaved, onCancel }: Props) {
  const [name, setName] = useState(existing ?? '')
  const [value, setValue] = useState('')
  const [invalid, setInvalid] = useState<{ name?: string; value?: string }>({})
  const [refusal, setRefusal] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const prefix = existing ? `secret-${existing}` : 'secret-new'

  async function submit(event: Event) {
    event.preventDefault()
    setRefusal(undefined)
    const parsed = Secret.safeParse({ name, value }, { reportInput: true })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      if (issue)
        setInvalid(issue.path[0] === 'name' ? { name: issueText(issue) } : { value: issueText(issue) })
      return
    }
    setBusy(true)
    try {
      await saveSecret(existing ? 'PUT' : 'POST', { name, value, namespace })
      setValue('')
      if (!existing) setName('')
      onSaved()
    } catch (error) {
      setRefusal(error)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      class="secret-form"
      onSubmit={submit}
      noValidate
      aria-label={existing ? `Update ${existing}` : 'New secret'}
    >
      {!existing && (
        <Field id={`${prefix}-name`} label="Name" error={invalid.name}>
          <input
            id={`${prefix}-name`}
            value={name}
            autocomplete="off"
            spellcheck={false}
            aria-invalid={invalid.name ? true : undefined}
            aria-describedby={describedBy(`${prefix}-name`, invalid.name)}
            onInput={(e) => {
              setName(e.currentTarget.value)
              setInvalid({})
            }}
          />
        </Field>
      )}
      <Field
        id={`${prefix}-value`}
        label={existing ? `New value for ${existing}` : 'Value'}
        error={invalid.value}
      >
        <textarea
          id={`${prefix}-value`}
          rows={2}
          value={value}
          autocomplete="off"
          spellcheck={false}
          aria-describedby={describedBy(`${prefix}-value`, invalid.value)}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </Field>
      <ErrorNote error={refusal} />
      <div class="actions">
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {existing ? 'Save value' : 'Create secret'}
        </button>
      </div>
    </form>
  )
}
