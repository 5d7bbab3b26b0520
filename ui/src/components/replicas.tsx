import type { FunctionStatus } from '../../../src/schemas/openfaas'

/** Desired/available replicas, and in words what that means right now. */
export function Replicas({ fn }: { fn: FunctionStatus }) {
  const desired = fn.replicas ?? 0
  const available = fn.availableReplicas ?? 0
  const [state, tone] =
    desired === 0 && available === 0
      ? ['scaled to zero', 'idle']
      : available < desired
        ? ['starting', 'busy']
        : available > desired
          ? ['stopping', 'busy']
          : ['ready', 'good']
  return (
    <span class="replicas">
      <span class="count" title="desired / available" data-replicas={`${desired}/${available}`}>
        {desired}/{available}
      </span>{' '}
      <span class={`badge ${tone}`}>{state}</span>
    </span>
  )
}
