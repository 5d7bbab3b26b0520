import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

// Every failure a client can cause is an HTTPException with a plain-text message; app.ts renders them
// all the same way, so modules deep in the provider can refuse a request without knowing about HTTP.
const fail = (status: ContentfulStatusCode) => (message: string) => new HTTPException(status, { message })

export const badRequest = fail(400)
export const notFound = fail(404)
export const conflict = fail(409)
export const unavailable = fail(503)
export const notImplemented = fail(501)
