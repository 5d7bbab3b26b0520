import type * as z from 'zod/mini'

/**
 * One zod issue as `field message`, the form every 400 and config error uses,
 * in the gateway and the dev provider alike. Parse with `reportInput: true`
 * so a missing field reads "is required" even without a custom message.
 */
export function issueText(issue: z.core.$ZodIssue, fallbackField = ''): string {
  const field = issue.path.join('.') || fallbackField
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message
  return field ? `${field} ${message}` : message
}

/** Every issue, for messages that should name all that is wrong at once. */
export function describeIssues(error: z.core.$ZodError, fallbackField = ''): string {
  return error.issues.map((issue) => issueText(issue, fallbackField)).join('; ')
}
