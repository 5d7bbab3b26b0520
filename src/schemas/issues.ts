import type { z } from 'zod'

/**
 * One zod issue as `field message`, the form every 400 and config error uses.
 * Parse with `reportInput: true` so a missing field reads "is required".
 */
export function issueText(issue: z.core.$ZodIssue, fallbackField = ''): string {
  const field = issue.path.join('.') || fallbackField
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message
  return field ? `${field} ${message}` : message
}
