import type { FunctionStatus } from '../../../src/schemas/openfaas'
import { ago } from '../format'
import { href } from '../route'
import { Chips } from './labels'
import { Replicas } from './replicas'

type Props = {
  functions: FunctionStatus[]
  namespace: string
  selected: string | undefined
}

/** Every function of the namespace; on a phone each row becomes a card (see style.css). */
export function FunctionList({ functions, namespace, selected }: Props) {
  if (functions.length === 0) {
    return (
      <p class="empty">
        No functions in this namespace. <a href={href({ view: 'deploy', ns: namespace })}>Deploy one</a>.
      </p>
    )
  }
  const sorted = [...functions].sort((a, b) => a.name.localeCompare(b.name))
  return (
    <table class="functions">
      <caption class="visually-hidden">Functions in {namespace || 'the default namespace'}</caption>
      <colgroup>
        <col class="col-name" />
        <col class="col-image" />
        <col class="col-replicas" />
        <col class="col-invocations" />
        <col class="col-labels" />
        <col class="col-created" />
      </colgroup>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Image</th>
          <th scope="col">Replicas</th>
          <th scope="col">Invocations</th>
          <th scope="col">Labels</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((fn) => (
          <tr key={fn.name} class={fn.name === selected ? 'selected' : undefined} data-function={fn.name}>
            <th scope="row" data-label="Name">
              <a
                href={href({ view: 'functions', fn: fn.name, ns: namespace })}
                aria-current={fn.name === selected ? 'page' : undefined}
              >
                {fn.name}
              </a>
            </th>
            <td data-label="Image">
              <code title={fn.image}>{fn.image ?? ''}</code>
            </td>
            <td data-label="Replicas">
              <Replicas fn={fn} />
            </td>
            <td data-label="Invocations" class="num" data-invocations={fn.invocationCount ?? 0}>
              {fn.invocationCount ?? 0}
            </td>
            <td data-label="Labels">
              <Chips map={fn.labels} />
            </td>
            <td data-label="Created">
              {fn.createdAt ? (
                <time dateTime={fn.createdAt} title={fn.createdAt}>
                  {ago(fn.createdAt)}
                </time>
              ) : (
                ''
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
