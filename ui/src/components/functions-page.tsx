import { listFunctions } from '../api/functions'
import { usePoll } from '../hooks/use-poll'
import { href, type Place } from '../route'
import { ErrorNote } from './error-note'
import { FunctionDetail } from './function-detail'
import { FunctionList } from './function-list'

// Every 2 s, and every half second while replicas are starting or stopping, so changes show as they happen.
const POLL = {
  intervalMs: 2000,
  hurryMs: 500,
  hurry: (functions: { replicas?: number; availableReplicas?: number }[]) =>
    functions.some((fn) => (fn.replicas ?? 0) !== (fn.availableReplicas ?? 0)),
}

type Props = { namespace: string; selected: string | undefined; go: (place: Place) => void }

/** The live list, and the selected function's page beside it (below it on a phone). */
export function FunctionsPage({ namespace, selected, go }: Props) {
  const functions = usePoll((signal) => listFunctions(namespace, signal), `functions:${namespace}`, POLL)
  const fn = functions.value?.find((f) => f.name === selected)

  return (
    <div class={fn ? 'functions-page with-detail' : 'functions-page'}>
      <section aria-labelledby="functions-title" class="list">
        <div class="heading">
          <h2 id="functions-title" tabIndex={-1}>
            Functions
          </h2>
          <a class="button primary" href={href({ view: 'deploy', ns: namespace })}>
            Deploy
          </a>
        </div>
        <ErrorNote error={functions.error} label="Could not list functions" />
        {functions.value ? (
          <FunctionList functions={functions.value} namespace={namespace} selected={selected} />
        ) : (
          !functions.error && <p class="muted">Loading…</p>
        )}
      </section>
      {fn && (
        <FunctionDetail
          fn={fn}
          namespace={namespace}
          refresh={functions.refresh}
          leave={() => go({ view: 'functions', ns: namespace })}
        />
      )}
      {selected && functions.value && !fn && (
        <p class="empty" role="status">
          No function named <code>{selected}</code> in this namespace.
        </p>
      )}
    </div>
  )
}
