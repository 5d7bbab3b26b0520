import { DurableObject } from 'cloudflare:workers'
import { loadConfig } from '../config'
import type { Bindings } from '../env'
import type { ScheduleSpec } from '../schedule/annotations'
import { type Book, ScheduleBook, type ScheduleView } from '../schedule/book'

const BOOK_KEY = 'book'

/**
 * The deployment's one book of scheduled functions (src/schedule/book.ts):
 * its storage and RPC surface. The replica sync tells it the schedules; each
 * cron tick claims the due slots here, once, before their calls are queued.
 */
export class Scheduler extends DurableObject<Bindings> {
  #book: ScheduleBook

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env)
    this.#book = new ScheduleBook({
      load: () => ctx.storage.kv.get<Book>(BOOK_KEY) ?? {},
      save: (book) => ctx.storage.kv.put(BOOK_KEY, book),
    })
  }

  async update(specs: ScheduleSpec[], stale: string[], now: number): Promise<void> {
    this.#book.update(specs, stale, now)
  }

  /** The cron tick whose scheduled time is `now`: the same `now` twice (a duplicated event) runs nothing twice. */
  async tick(now: number): Promise<void> {
    const loaded = loadConfig(this.env)
    if (!loaded.ok) throw new Error(loaded.error)
    await this.#book.tick(this.env, loaded.config, this.ctx, now)
  }

  async report(now: number): Promise<ScheduleView[]> {
    return this.#book.report(now)
  }
}
