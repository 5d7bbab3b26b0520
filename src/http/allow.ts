import type { Handler } from 'hono'
import { plainText } from './responses'

/**
 * Registered after a path's method handlers: a known path with a method it
 * does not serve answers 405 and lists the methods it does.
 */
export function methodNotAllowed(...methods: string[]): Handler {
  const allow = methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods
  const header = allow.join(', ')
  return function methodNotAllowed(c) {
    return plainText(405, `method ${c.req.method} not allowed on ${c.req.path}; allowed: ${header}`, {
      allow: header,
    })
  }
}
