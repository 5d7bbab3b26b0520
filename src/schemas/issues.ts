import type { z } from 'zod'

/** One zod issue as `field message`, the form every 400 and config error uses. */
export function issueText(issue: z.core.$ZodIssue, fallbackField = ''): string {
  const field = issue.path.join('.') || fallbackField
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message
  return field ? `${field} ${message}` : message
}
