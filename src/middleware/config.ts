import { createMiddleware } from 'hono/factory'
import { loadConfig } from '../config'
import type { AppEnv } from '../env'
import { plainText } from '../http/responses'

/** Every request sees the parsed config, or a 500 naming what is wrong with it. */
export const withConfig = createMiddleware<AppEnv>(async function withConfig(c, next) {
  const result = loadConfig(c.env)
  if (!result.ok) return plainText(500, result.error)
  c.set('config', result.config)
  await next()
})
