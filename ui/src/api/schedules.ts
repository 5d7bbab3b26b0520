import * as z from 'zod/mini'
import { withNamespace } from './http'
import { readJson } from './read'

/** One scheduled function as GET /system/schedules shows it (only what the portal reads). */
const ScheduleView = z.object({
  name: z.string(),
  schedule: z.string(),
  timezone: z.string(),
  nextSlot: z.nullable(z.string()),
  lastSlot: z.nullable(z.string()),
  missed: z.number(),
  error: z.nullable(z.string()),
})
export type ScheduleView = z.infer<typeof ScheduleView>

export function listSchedules(namespace: string, signal?: AbortSignal): Promise<ScheduleView[]> {
  return readJson(withNamespace('/system/schedules', namespace), z.array(ScheduleView), signal)
}
