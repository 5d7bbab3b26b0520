import { useEffect, useState } from 'preact/hooks'
import { scaleFunction } from '../api/functions'
import { ConfirmButton } from './confirm-button'
import type { PanelProps } from './panel'
import { Replicas } from './replicas'

/** Set the desired replicas, 0 included (the gateway wakes the function on its next call). */
export function ScalePanel({ fn, namespace, refresh }: PanelProps) {
  const [replicas, setReplicas] = useState(String(fn.replicas ?? 0))
  // A new function, or someone else's scaling, resets the field to what is now desired.
  useEffect(() => setReplicas(String(fn.replicas ?? 0)), [fn.name, fn.replicas])
  const count = Number(replicas)
  const valid = replicas.trim() !== '' && Number.isInteger(count) && count >= 0

  return (
    <div class="scale">
      <p>
        Now: <Replicas fn={fn} />
      </p>
      <div class="inline">
        <div class="field">
          <label for="scale-replicas">Replicas</label>
          <input
            id="scale-replicas"
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={replicas}
            aria-invalid={valid ? undefined : true}
            onInput={(e) => setReplicas(e.currentTarget.value)}
          />
        </div>
        <ConfirmButton
          label="Scale"
          disabled={!valid}
          question={
            <>
              Scale <strong>{fn.name}</strong> to <strong>{count}</strong>{' '}
              {count === 1 ? 'replica' : 'replicas'}?
              {count === 0 && ' It stops serving until its next invocation wakes it.'}
            </>
          }
          confirmLabel={`Scale to ${count}`}
          onConfirm={async () => {
            await scaleFunction(fn.name, namespace, count)
            refresh()
          }}
        />
      </div>
    </div>
  )
}
