import type { ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { plainText } from '../http/responses'

export const notFound: NotFoundHandler = (c) => plainText(404, `no route for ${c.req.method} ${c.req.path}`)

/** 4xx are the caller's business and not logged; anything else is a gateway bug. */
export const onError: ErrorHandler = (error, c) => {
  if (error instanceof HTTPException) {
    return error.res ?? plainText(error.status, error.message || 'request failed')
  }
  console.error(`${c.req.method} ${c.req.path} failed:`, error)
  return plainText(500, 'internal gateway error')
}
