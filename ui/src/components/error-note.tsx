import { ApiError, errorMessage, UNREACHABLE } from '../api/http'

/**
 * An error as the API gave it: its status, then its body exactly as sent, in
 * a <pre> so spacing and line breaks survive. Announced to screen readers.
 */
export function ErrorNote({ error, label }: { error: unknown; label?: string }) {
  if (error === undefined || error === null) return null
  const status = error instanceof ApiError && error.status !== UNREACHABLE ? error.status : undefined
  return (
    <div class="error" role="alert">
      <p class="error-title">
        {label ?? 'Refused'}
        {status !== undefined && <span class="badge bad">{status}</span>}
      </p>
      <pre class="error-message">{errorMessage(error)}</pre>
    </div>
  )
}
