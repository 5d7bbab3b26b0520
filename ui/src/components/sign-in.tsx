import { useEffect, useRef, useState } from 'preact/hooks'
import { signIn } from '../api/session'
import { ErrorNote } from './error-note'
import { describedBy, Field } from './field'

/**
 * Sign in with a pasted access token, when the gateway asks for one. The
 * token goes to memory only (api/session.ts); a refused token's 401 is shown
 * with the gateway's reason.
 */
export function SignIn({ refusal }: { refusal: unknown }) {
  const [text, setText] = useState('')
  const [invalid, setInvalid] = useState<string | undefined>(undefined)
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])

  function submit(event: Event) {
    event.preventDefault()
    // A pasted `Bearer …` header value works too.
    const token = text.trim().replace(/^bearer\s+/i, '')
    if (token) signIn(token)
    else setInvalid('paste a token first')
  }

  return (
    <form class="sign-in" onSubmit={submit} noValidate aria-labelledby="sign-in-title">
      <h2 id="sign-in-title" tabIndex={-1} ref={heading}>
        Sign in
      </h2>
      <p class="hint">
        This gateway wants an access token: a JWT from its identity provider, sent as{' '}
        <code>Authorization: Bearer</code>. The portal keeps it in this tab's memory only; a reload or Sign
        out forgets it.
      </p>
      <ErrorNote error={refusal} label="The gateway refused the token" />
      <Field id="sign-in-token" label="Access token" error={invalid}>
        <textarea
          id="sign-in-token"
          rows={5}
          value={text}
          autocomplete="off"
          spellcheck={false}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={describedBy('sign-in-token', invalid)}
          onInput={(e) => {
            setText(e.currentTarget.value)
            setInvalid(undefined)
          }}
        />
      </Field>
      <div class="actions">
        <button type="submit" class="primary">
          Sign in
        </button>
      </div>
    </form>
  )
}
