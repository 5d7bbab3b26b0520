import { useState } from 'preact/hooks'
import { deleteSecret, listSecrets } from '../api/secrets'
import { usePoll } from '../hooks/use-poll'
import { ConfirmButton } from './confirm-button'
import { ErrorNote } from './error-note'
import { SecretForm } from './secret-form'

/** The namespace's secrets by name: create, give a new value, delete. Values are never shown. */
export function SecretsPage({ namespace }: { namespace: string }) {
  const secrets = usePoll((signal) => listSecrets(namespace, signal), `secrets:${namespace}`, {
    intervalMs: 5000,
  })
  const [editing, setEditing] = useState<string | undefined>(undefined)
  const names = (secrets.value ?? []).map((s) => s.name).sort()

  return (
    <section class="secrets" aria-labelledby="secrets-title">
      <h2 id="secrets-title" tabIndex={-1}>
        Secrets
      </h2>
      <p class="hint">
        Functions read a secret they list as the file <code>/var/openfaas/secrets/&lt;name&gt;</code>.
      </p>
      <ErrorNote error={secrets.error} label="Could not list secrets" />
      {secrets.value && names.length === 0 && <p class="empty">No secrets in this namespace.</p>}
      {names.length > 0 && (
        <ul class="secret-list">
          {names.map((name) => (
            <li key={name} data-secret={name}>
              <span class="secret-name">{name}</span>
              {editing === name ? (
                <SecretForm
                  namespace={namespace}
                  name={name}
                  onSaved={() => setEditing(undefined)}
                  onCancel={() => setEditing(undefined)}
                />
              ) : (
                <span class="actions">
                  <button type="button" onClick={() => setEditing(name)} aria-label={`Update ${name}`}>
                    Update
                  </button>
                  <ConfirmButton
                    label={`Delete ${name}`}
                    danger
                    question={
                      <>
                        Delete the secret <strong>{name}</strong>? Functions that list it lose the file at
                        once.
                      </>
                    }
                    confirmLabel="Delete secret"
                    onConfirm={async () => {
                      await deleteSecret(name, namespace)
                      secrets.refresh()
                    }}
                  />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3>New secret</h3>
      <SecretForm namespace={namespace} onSaved={secrets.refresh} />
    </section>
  )
}
