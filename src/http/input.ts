import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type * as z from 'zod/mini'
import { issueText } from '../schemas/issues'
import { plainText } from './responses'

export function badRequest(message: string): HTTPException {
  return new HTTPException(400, { res: plainText(400, message) })
}

/** The first problem zod found, which is what a person fixes first. */
function describeIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0]
  return issue ? issueText(issue) : 'invalid value'
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Reads and validates a JSON body. Returns the parsed value and the caller's
 * exact bytes, so the provider gets what was sent rather than a
 * re-serialisation (or a lossy decoding) that could change a secret's value.
 */
export async function readJson<S extends z.ZodMiniType>(
  c: Context,
  schema: S,
  typeName: string,
): Promise<{ value: z.infer<S>; bytes: ArrayBuffer }> {
  const bytes = await c.req.arrayBuffer()
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw badRequest(`${typeName} body is not valid UTF-8`)
  }
  if (text.trim() === '') throw badRequest(`${typeName} body is required`)
  // The provider's JSON decoder would refuse it, or worse, read it differently from us.
  if (text.charCodeAt(0) === 0xfeff) throw badRequest(`${typeName} body starts with a byte order mark`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw badRequest(`invalid JSON in ${typeName} body: ${(error as Error).message}`)
  }
  const parsed = schema.safeParse(json, { reportInput: true })
  if (!parsed.success) throw badRequest(`invalid ${typeName}: ${describeIssue(parsed.error)}`)
  return { value: parsed.data, bytes }
}

/** Validates one path or query value, answering 400 that names it. */
export function validName<S extends z.ZodMiniType<string>>(
  schema: S,
  value: string | undefined,
  what: string,
): string {
  if (value === undefined) throw badRequest(`${what} is required`)
  const parsed = schema.safeParse(value, { reportInput: true })
  if (!parsed.success) throw badRequest(`invalid ${what} "${value}": ${describeIssue(parsed.error)}`)
  return parsed.data
}
