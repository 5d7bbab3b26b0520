import { type FunctionRef, functionKey } from '../function-ref'
import { noSuchFunction, plainText } from '../http/responses'
import type { Readiness } from './readiness'

/** On a response that waited for its function to wake from zero: how long, in seconds. */
export const SCALE_WAIT_HEADER = 'x-scale-from-zero-seconds'

export const waitedSeconds = (ms: number): string => (ms / 1000).toFixed(3)

/** The answer to a caller whose function cannot be invoked now; nothing was forwarded. */
export function refusal(fn: FunctionRef, readiness: Exclude<Readiness, { kind: 'ready' }>): Response {
  const name = functionKey(fn)
  switch (readiness.kind) {
    case 'missing':
      return noSuchFunction(name)
    case 'timeout':
      return plainText(
        504,
        `function ${name} did not become ready within ${waitedSeconds(readiness.waitedMs)}s of scaling from zero`,
      )
    case 'fault':
      // The reason names the provider call that failed (the status check or the scale request): 504 when
      // it hung past its deadline, 502 when it failed or its answer was unusable.
      return plainText(readiness.status, readiness.message)
  }
}
