import { useEffect, useRef } from 'preact/hooks'
import { listNamespaces } from './api/namespaces'
import { signOut } from './api/session'
import { DeployForm } from './components/deploy-form'
import { ErrorNote } from './components/error-note'
import { FunctionsPage } from './components/functions-page'
import { NamespacePicker } from './components/namespace-picker'
import { SecretsPage } from './components/secrets-page'
import { SignIn } from './components/sign-in'
import { usePoll } from './hooks/use-poll'
import { useSession } from './hooks/use-session'
import { href, usePlace, type View } from './route'

const NAV: [View, string][] = [
  ['functions', 'Functions'],
  ['deploy', 'Deploy'],
  ['secrets', 'Secrets'],
]

// OpenFaaS's default namespace when the provider has it, as faas-cli assumes.
const PREFERRED_NAMESPACE = 'openfaas-fn'

/**
 * The portal, or the sign-in when the gateway wants a token (JWT auth on, basic auth off). Signing in
 * mounts the portal afresh, so every poll starts again with the token; a refused token unmounts it.
 */
export function App() {
  const { signedIn, challenge } = useSession()
  if (!challenge) return <Portal signedIn={signedIn} />
  return (
    <>
      <header class="top">
        <span class="brand">edgefaas</span>
      </header>
      <main>
        <SignIn refusal={challenge.refusal} />
      </main>
    </>
  )
}

function Portal({ signedIn }: { signedIn: boolean }) {
  const [place, go] = usePlace()
  const namespaces = usePoll((signal) => listNamespaces(signal), 'namespaces', { intervalMs: 15_000 })
  const known = namespaces.value ?? []
  // A provider without namespaces (or one that refuses to list them) leaves the choice to its default: ''.
  const namespace = place.ns ?? (known.includes(PREFERRED_NAMESPACE) ? PREFERRED_NAMESPACE : (known[0] ?? ''))
  const ready = place.ns !== undefined || namespaces.value !== undefined || namespaces.error !== undefined

  const main = useRef<HTMLElement>(null)
  // A new view gets the focus on its heading, as a page load would put it at the top.
  useEffect(() => {
    if (place.view !== 'functions' || !place.fn) main.current?.querySelector<HTMLElement>('h2')?.focus()
  }, [place.view])

  return (
    <>
      <header class="top">
        <a class="brand" href={href({ view: 'functions', ns: namespace })}>
          edgefaas
        </a>
        <nav aria-label="Portal">
          {NAV.map(([view, label]) => (
            <a
              key={view}
              href={href({ view, ns: namespace })}
              aria-current={place.view === view ? 'page' : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <NamespacePicker
          namespaces={known}
          value={namespace}
          onChange={(ns) => go({ view: place.view, ns })}
        />
        {signedIn && (
          <button type="button" class="sign-out" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main ref={main}>
        <ErrorNote error={namespaces.error} label="Could not list namespaces" />
        {ready && place.view === 'functions' && (
          <FunctionsPage namespace={namespace} selected={place.fn} go={go} />
        )}
        {ready && place.view === 'deploy' && (
          <DeployForm
            key={namespace}
            namespace={namespace}
            namespaces={known}
            onDeployed={(name, ns) => go({ view: 'functions', fn: name, ns })}
          />
        )}
        {ready && place.view === 'secrets' && <SecretsPage namespace={namespace} />}
      </main>
    </>
  )
}
