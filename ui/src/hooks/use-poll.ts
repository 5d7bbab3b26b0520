import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export type Poll<T> = {
  value: T | undefined
  error: unknown
  /** Load again now, e.g. right after a change the user made. */
  refresh: () => void
}

type Options<T> = {
  intervalMs: number
  /** A shorter interval while this holds, so a change in progress (replicas starting) shows as it happens. */
  hurry?: (value: T) => boolean
  hurryMs?: number
}

/**
 * Loads now and then again after each answer, so a slow gateway never gets
 * overlapping polls. The last good value stays on screen when a poll fails;
 * polling pauses while the page is hidden.
 */
export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  options: Options<T>,
): Poll<T> {
  const [value, setValue] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const kick = useRef<() => void>(() => {})
  const latest = useRef({ load, options })
  latest.current = { load, options }

  useEffect(() => {
    setValue(undefined)
    setError(undefined)
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    let running = false
    // A refresh asked for during a poll must not be answered by that poll, which may predate the change.
    let again = false

    async function tick() {
      clearTimeout(timer)
      if (controller.signal.aborted) return
      if (running) {
        again = true
        return
      }
      running = true
      let delay = latest.current.options.intervalMs
      try {
        const next = await latest.current.load(controller.signal)
        if (controller.signal.aborted) return
        setValue(() => next)
        setError(undefined)
        const { hurry, hurryMs } = latest.current.options
        if (hurry?.(next)) delay = hurryMs ?? delay
      } catch (e) {
        if (!controller.signal.aborted) setError(e)
      } finally {
        running = false
      }
      if (again) {
        again = false
        delay = 0
      }
      if (!controller.signal.aborted && !document.hidden) timer = setTimeout(tick, delay)
    }

    const onVisible = () => {
      if (!document.hidden) void tick()
    }
    kick.current = () => void tick()
    document.addEventListener('visibilitychange', onVisible)
    void tick()
    return () => {
      controller.abort()
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [key])

  const refresh = useCallback(() => kick.current(), [])
  return { value, error, refresh }
}
