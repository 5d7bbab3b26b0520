import { deleteFunction } from '../api/functions'
import { ConfirmButton } from './confirm-button'
import type { PanelProps } from './panel'

export function DeletePanel({ fn, namespace, refresh, leave }: PanelProps) {
  return (
    <ConfirmButton
      label="Delete function"
      danger
      question={
        <>
          Delete <strong>{fn.name}</strong>
          {namespace && ` from ${namespace}`}? Its replicas stop and its logs go; this cannot be undone.
        </>
      }
      confirmLabel={`Delete ${fn.name}`}
      onConfirm={async () => {
        await deleteFunction(fn.name, namespace)
        leave()
        refresh()
      }}
    />
  )
}
