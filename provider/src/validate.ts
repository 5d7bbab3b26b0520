import type { Context } from 'hono'
import type * as z from 'zod/mini'
import { describeIssues } from '../../src/schemas/issues.ts'
import { badRequest } from './errors.ts'

// Parses a JSON body with a schema; malformed JSON and schema failures are both 400s naming the problem.
export async function readJson<T extends z.ZodMiniType>(
  c: Context,
  schema: T,
  what: string,
): Promise<z.output<T>> {
  let raw: unknown
  try {
    raw = JSON.parse(await c.req.text())
  } catch {
    throw badRequest(`invalid ${what}: body is not valid JSON`)
  }
  return parse(schema, raw, what)
}

export function parse<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value, { reportInput: true })
  if (!parsed.success) throw badRequest(`invalid ${what}: ${describeIssues(parsed.error)}`)
  return parsed.data
}

// Query strings: an empty parameter means the same as an absent one.
export function readQuery<T extends z.ZodMiniType>(c: Context, schema: T): z.output<T> {
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''))
  return parse(schema, query, 'query')
}
