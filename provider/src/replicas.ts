import { randomBytes } from 'node:crypto'
import { unavailable } from './errors.ts'
import type { ReplicaServer } from './servers.ts'

// A function's replicas. With the classic watchdog there is no long-lived process per replica, so a
// replica here is what the process model makes it: a readiness state (it becomes ready a cold-start
// delay after it is created) and a number of concurrent processes it may run (max_inflight). In HTTP
// mode a replica is a server process instead, ready when it answers (see servers.ts). Requests beyond
// the free slots of ready replicas wait in FIFO order.

export type Replica = {
  readonly name: string
  ready: boolean
  inflight: number
  // HTTP mode: the server requests are proxied to. Classic replicas have none.
  server?: ReplicaServer
  stop?: () => void
}
type Waiter = { resolve: (replica: Replica) => void; reject: (error: Error) => void }

// Brings a new replica to life. It reports readiness whenever it changes (a crashed server is not
// ready until it is back) and returns what stops it when the replica is removed.
export type StartReplica = (replica: Replica, setReady: (ready: boolean) => void) => () => void

export type ReplicaSet = ReturnType<typeof createReplicaSet>

// The classic watchdog's replica: ready one cold-start delay after it is created.
export const coldStart =
  (ms: number): StartReplica =>
  (_replica, setReady) => {
    const timer = setTimeout(() => setReady(true), ms)
    return () => clearTimeout(timer)
  }

export function createReplicaSet(options: {
  functionName: string
  // name.namespace, for messages
  fullName: string
  coldStartMs: number
  maxInflight: () => number
  // How a replica starts; by default a cold-start delay.
  start?: StartReplica
}) {
  let replicas: Replica[] = []
  const queue: Waiter[] = []

  const available = () => replicas.filter((r) => r.ready).length

  let cursor = 0

  // The ready replica with the fewest processes and a free slot, if any. Ties go round-robin, so
  // sequential requests spread over the replicas as a Service would spread them over pods.
  function freeReplica(): Replica | undefined {
    const max = options.maxInflight()
    let best: Replica | undefined
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[(cursor + i) % replicas.length] as Replica
      if (r.ready && r.inflight < max && (best === undefined || r.inflight < best.inflight)) best = r
    }
    return best
  }

  function take(replica: Replica): Replica {
    replica.inflight++
    cursor = (replicas.indexOf(replica) + 1) % replicas.length
    return replica
  }

  function dispatch() {
    for (let r = freeReplica(); r !== undefined && queue.length > 0; r = freeReplica()) {
      queue.shift()?.resolve(take(r))
    }
  }

  function rejectWaiting(error: Error) {
    for (const waiter of queue.splice(0)) waiter.reject(error)
  }

  function add() {
    const replica: Replica = {
      name: `${options.functionName}-${randomBytes(3).toString('hex')}`,
      ready: false,
      inflight: 0,
    }
    replicas.push(replica)
    const start = options.start ?? coldStart(options.coldStartMs)
    replica.stop = start(replica, (ready) => {
      // A replica already removed stays out, whatever its process does on the way down.
      if (!replicas.includes(replica)) return
      replica.ready = ready
      if (ready) dispatch()
    })
  }

  function remove(replica: Replica) {
    replicas = replicas.filter((r) => r !== replica)
    replica.ready = false
    replica.stop?.()
  }

  return {
    desired: () => replicas.length,
    available,
    waiting: () => queue.length,
    names: () => replicas.map((r) => r.name),

    // Scaling down drops replicas that are still starting first; processes already running on a
    // removed replica finish, but it takes no new work.
    scale(count: number) {
      while (replicas.length < count) add()
      while (replicas.length > count) {
        const starting = replicas.findLast((r) => !r.ready)
        remove(starting ?? (replicas.at(-1) as Replica))
      }
      if (available() === 0) rejectWaiting(unavailable(unavailableMessage(options.fullName, count)))
      else dispatch()
    },

    // Replaces every replica with `count` fresh ones, as a changed pod template does; queued requests
    // wait for the new replicas.
    restart(count: number) {
      for (const r of [...replicas]) remove(r)
      while (replicas.length < count) add()
      if (count === 0) rejectWaiting(unavailable(unavailableMessage(options.fullName, 0)))
    },

    // Resolves with the replica whose slot the caller now holds, to be given back with release().
    acquire(signal?: AbortSignal): Promise<Replica> {
      if (available() === 0) {
        return Promise.reject(unavailable(unavailableMessage(options.fullName, replicas.length)))
      }
      if (signal?.aborted) return Promise.reject(signal.reason)
      const replica = freeReplica()
      if (replica !== undefined && queue.length === 0) return Promise.resolve(take(replica))
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          resolve: (r) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(r)
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort)
            reject(e)
          },
        }
        // A caller that gave up must not hold a place in the queue (or later a slot).
        function onAbort() {
          const i = queue.indexOf(waiter)
          if (i >= 0) queue.splice(i, 1)
          reject(signal?.reason ?? new Error('aborted'))
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        queue.push(waiter)
      })
    },

    release(replica: Replica) {
      replica.inflight--
      dispatch()
    },

    stop(error: Error) {
      for (const r of [...replicas]) remove(r)
      rejectWaiting(error)
    },
  }
}

function unavailableMessage(name: string, desired: number) {
  return desired === 0
    ? `function ${name} is scaled to zero: no replicas available`
    : `function ${name} has no ready replicas yet (${desired} starting)`
}
