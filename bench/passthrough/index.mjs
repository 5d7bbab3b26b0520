import { Hono } from 'hono'

// What any Worker in front of a function pays at least: routing one request
// and handing it, body stream and all, to fetch. No checks, no header work.
const app = new Hono()
app.all('*', (c) => fetch(c.env.UPSTREAM_URL + c.req.path, c.req.raw))

export default app
