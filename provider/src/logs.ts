import { formatNanos, nowNanos } from './clock.ts'
import type { LogEntry } from './schemas.ts'

// Function logs live in memory only: a bounded buffer per function, plus live followers for
// `follow=true` requests. They do not survive a restart, as container logs don't survive a redeploy.

type Line = { entry: LogEntry; at: bigint }
type Follower = (line: Line | null) => void

export type LogFilter = {
  instance?: string | undefined
  since?: bigint | undefined
  tail?: number | undefined
}
export type Logs = ReturnType<typeof createLogs>

const key = (namespace: string, name: string) => `${namespace}/${name}`

export function createLogs(options: { capacity: number; echo: (entry: LogEntry) => void }) {
  const buffers = new Map<string, Line[]>()
  const followers = new Map<string, Set<Follower>>()

  function append(namespace: string, name: string, instance: string, text: string) {
    const at = nowNanos()
    const entry = { name, namespace, instance, timestamp: formatNanos(at), text }
    const k = key(namespace, name)
    const buffer = buffers.get(k) ?? []
    buffers.set(k, buffer)
    buffer.push({ entry, at })
    if (buffer.length > options.capacity) buffer.splice(0, buffer.length - options.capacity)
    options.echo(entry)
    for (const follower of followers.get(k) ?? []) follower({ entry, at })
  }

  function history(namespace: string, name: string, filter: LogFilter): LogEntry[] {
    const lines = (buffers.get(key(namespace, name)) ?? []).filter((line) => matches(line, filter))
    const tail = filter.tail ?? 0
    return (tail > 0 ? lines.slice(-tail) : lines).map((line) => line.entry)
  }

  // The listener gets null when the function goes away or the provider stops: the stream should end.
  function follow(
    namespace: string,
    name: string,
    filter: LogFilter,
    listener: (entry: LogEntry | null) => void,
  ): () => void {
    const k = key(namespace, name)
    const set = followers.get(k) ?? new Set()
    followers.set(k, set)
    const follower: Follower = (line) => {
      if (line === null) listener(null)
      else if (matches(line, filter)) listener(line.entry)
    }
    set.add(follower)
    return () => {
      set.delete(follower)
      if (set.size === 0 && followers.get(k) === set) followers.delete(k)
    }
  }

  function end(k: string) {
    for (const follower of followers.get(k) ?? []) follower(null)
    followers.delete(k)
  }

  return {
    append,
    history,
    follow,
    // Called when a function is deleted: its followers end and its buffer goes.
    drop(namespace: string, name: string) {
      buffers.delete(key(namespace, name))
      end(key(namespace, name))
    },
    closeAll() {
      for (const k of [...followers.keys()]) end(k)
    },
    followerCount() {
      let n = 0
      for (const set of followers.values()) n += set.size
      return n
    },
  }
}

function matches(line: Line, filter: LogFilter) {
  if (filter.instance !== undefined && line.entry.instance !== filter.instance) return false
  return filter.since === undefined || line.at >= filter.since
}
