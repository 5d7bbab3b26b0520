import fc from 'fast-check'
import { tail } from './cases'
import type { Tokens } from './tokens'

// Hostile raw requests on every route: any method, real routes mixed with
// junk, queries, headers (duplicates, huge, non-ASCII, control characters),
// bodies of random bytes and sizes framed whole, chunked, truncated or broken,
// and now and then a head or URL past workerd's own limits. Each request
// carries a tag header so that whatever it makes reach the provider, even
// late, is told apart from another request's and from the gateway's own calls.

export const TAG = 'x-fuzz-case'
export const USER = 'admin'
export const PASSWORD = 'pw'
export const MANAGEMENT_BODY_LIMIT = 1024 * 1024
/** workerd answers 414 itself for a request target this long (it forwards 60,000 bytes). */
export const URL_LIMIT = 65_536
/** workerd answers 431 itself for a request head past about this size. */
export const HEAD_LIMIT = 1024 * 1024

const ROUTES = [
  '/function/fn',
  '/function/fn/',
  '/function/fn/a/b.txt',
  '/function/fn.openfaas-fn/x',
  '/function/other.staging',
  '/async-function/fn',
  '/healthz',
  '/',
  '/metrics',
  '/ui',
  '/ui/',
  '/ui/assets/app.js',
  '/system/info',
  '/system/functions',
  '/system/function/fn',
  '/system/scale-function/fn',
  '/system/secrets',
  '/system/logs',
  '/system/namespaces',
  '/system/namespace/staging',
  '/system/alert',
  '/system/nope',
  '/nope',
]

// Not ASCII: sent as raw UTF-8 bytes in paths and header values; workerd percent-encodes them in URLs.
const UNICODE = ['é', '✓', '．', '。', '\u2024', 'ß', '\u202e', '😀']

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), tail).map(([r, t]) => r + t) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...UNICODE), fc.constantFrom('/', 'fn', 'system', '..', '%2e')), {
        maxLength: 8,
      })
      .map((parts) => `/function/fn/${parts.join('')}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/${s.replace(/[\s#]/g, '')}`) },
)

const queryPart = fc.oneof(
  fc.constantFrom(
    'namespace=openfaas-fn',
    'namespace=staging',
    'namespace=../x',
    'namespace=UPPER',
    'namespace=',
    'namespace=a&namespace=b',
    'name=fn',
    'name=../../x',
    'follow=true',
    'follow=maybe',
    'tail=5',
    'tail=x',
    'since=2020-01-01T00:00:00Z',
    'instance=a%2Fb',
    'x=1',
    '%ff=%00',
    '=',
    '&&',
  ),
  fc.constantFrom(...UNICODE).map((u) => `namespace=${u}`),
)
/** `arbitrary`'s value one time in `oneIn`, else `otherwise` (fc.option's `freq` counts the other way). */
function sometimes<T, U>(arbitrary: fc.Arbitrary<T>, otherwise: U, oneIn: number): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(otherwise) }, { weight: 1, arbitrary })
}

const query = sometimes(
  fc.array(queryPart, { minLength: 1, maxLength: 4 }).map((parts) => `?${parts.join('&')}`),
  '',
  2,
)

// fast-check leans towards the first of a list: POST, which reaches the most code.
const METHODS = [
  'POST',
  'GET',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'PROPFIND',
  'TRACE',
  'get',
  'X-Y',
]
// CONNECT is left out: workerd answers it itself, before the Worker runs (test/raw/limits.test.ts).

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
export const VALID_AUTHORIZATION = basic(USER, PASSWORD)

const authorization = fc.constantFrom(
  VALID_AUTHORIZATION,
  basic(USER, 'wrong'),
  basic('', ''),
  'Basic',
  'Basic !!!',
  'Bearer token',
  basic(USER, `${PASSWORD}é`),
)

const HEADER_NAMES = [
  'Content-Type',
  'Accept',
  'Origin',
  'Access-Control-Request-Method',
  'Cookie',
  'X-Call-Id',
  'X-Forwarded-For',
  'X-Forwarded-Host',
  'CF-Connecting-IP',
  'Accept-Encoding',
  'Range',
  'If-None-Match',
  'X-Callback-Url',
  'Upgrade',
  'TE',
  'Proxy-Authorization',
  'x-custom',
  'X-CUSTOM',
]

const asciiValue = fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, ''))
const headerValue = fc.oneof(
  { weight: 24, arbitrary: asciiValue },
  {
    weight: 2,
    arbitrary: fc.array(fc.constantFrom(...UNICODE, 'a'), { maxLength: 20 }).map((a) => a.join('')),
  },
  // Latin-1 bytes that are not UTF-8, and control characters HTTP forbids.
  { weight: 1, arbitrary: fc.constantFrom('\xff\xfe', 'caf\xe9', 'a\x01b', 'a\x00b', 'a\x7fb', '\t x \t') },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 32_000 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('') },
)

export type Header = [string, string]

const header: fc.Arbitrary<Header> = fc.oneof(
  { weight: 40, arbitrary: fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue) },
  // A second Authorization, beside the one the case's credentials may have put first.
  { weight: 1, arbitrary: authorization.map((v): Header => ['Authorization', v]) },
  {
    weight: 1,
    arbitrary: fc
      .subarray(['keep-alive', 'x-custom', 'x-forwarded-for', 'x-call-id', 'authorization', 'te'])
      .map((tokens): Header => ['Connection', ['close', ...tokens].join(', ')]),
  },
  // A second Host, or a malformed one.
  {
    weight: 1,
    arbitrary: fc.constantFrom('127.0.0.1', 'evil.example', 'a/b', '[::1]:1').map((h): Header => ['Host', h]),
  },
  { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), asciiValue) },
)

const JSON_BODIES = [
  '{"service":"fn","image":"functions/fn:latest","envProcess":"cat"}',
  '{"service":"Bad Name","image":"x"}',
  '{"functionName":"fn"}',
  '{"serviceName":"fn","replicas":0}',
  '{"serviceName":"fn","replicas":3}',
  '{"serviceName":"fn","replicas":-1}',
  '{"name":"api-key","value":"s3cret"}',
  '{"name":"api-key","rawValue":"not base64!"}',
  '{"name":"staging","labels":{"a":"b"}}',
  '{"status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{"alertname":"a","function_name":"fn.openfaas-fn"}}]}',
  '{"status":"resolved","alerts":[{"status":"resolved","labels":{"function_name":"../x"}}]}',
  '{"service":"fn","image":"x","envVars":{"a":1}}',
  '{',
  'null',
  '[]',
  '\ufeff{"name":"bom","value":"v"}',
]

// Kept as a small description, made into bytes only when sent, so a counterexample prints in a line.
export type Bytes = { json: string } | { random: number[] } | { size: number; fill: number }

const bytes: fc.Arbitrary<Bytes> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...JSON_BODIES).map((json) => ({ json })) },
  {
    weight: 4,
    arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 2_048 }).map((random) => ({ random })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      size: fc.integer({ min: 2_049, max: 96_000 }),
      fill: fc.integer({ min: 0, max: 255 }),
    }),
  },
  // Past the management limit: refused whole with 413, never partly applied.
  {
    weight: 1,
    arbitrary: fc.record({
      size: fc.integer({ min: MANAGEMENT_BODY_LIMIT + 1, max: MANAGEMENT_BODY_LIMIT + 200_000 }),
      fill: fc.constant(0x7b),
    }),
  },
)

export function bodyBytes(spec: Bytes): Buffer {
  if ('json' in spec) return Buffer.from(spec.json, 'utf8')
  if ('random' in spec) return Buffer.from(spec.random)
  return Buffer.alloc(spec.size, spec.fill)
}

export type Framing = 'length' | 'chunked' | 'truncated-length' | 'truncated-chunked' | 'broken-chunk'

const framing = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Framing>('length') },
  { weight: 3, arbitrary: fc.constant<Framing>('chunked') },
  { weight: 1, arbitrary: fc.constantFrom<Framing>('truncated-length', 'truncated-chunked', 'broken-chunk') },
)

// Two requests in three carry a body.
const body = fc.oneof(
  { weight: 2, arbitrary: fc.record({ bytes, framing, chunks: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
)

/** Far past workerd's limits now and then: it must refuse these itself, before the gateway sees them. */
const oversize = fc.oneof(
  { weight: 200, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant('url' as const) },
  { weight: 1, arbitrary: fc.constant('head' as const) },
)

// What a client of the API really sends: a method, route and body that go together, so that requests get
// past validation and are forwarded, and the hostility is in the framing, query, headers and credentials.
const OPERATIONS: [string, string, string | undefined][] = [
  ['POST', '/system/functions', '{"service":"fn","image":"functions/fn:latest","envProcess":"cat"}'],
  ['PUT', '/system/functions', '{"service":"fn","image":"functions/fn:latest","labels":{"a":"b"}}'],
  ['DELETE', '/system/functions', '{"functionName":"fn"}'],
  ['POST', '/system/scale-function/fn', '{"serviceName":"fn","replicas":0}'],
  ['POST', '/system/scale-function/fn', '{"serviceName":"fn","replicas":2}'],
  ['POST', '/system/secrets', '{"name":"api-key","value":"s3cret"}'],
  ['PUT', '/system/secrets', '{"name":"api-key","rawValue":"czNjcmV0"}'],
  ['DELETE', '/system/secrets', '{"name":"api-key"}'],
  ['POST', '/system/namespace/staging', '{"name":"staging","labels":{"a":"b"}}'],
  ['DELETE', '/system/namespace/staging', undefined],
  [
    'POST',
    '/system/alert',
    '{"status":"firing","receiver":"r","alerts":[{"status":"firing","labels":{"alertname":"a","function_name":"fn.openfaas-fn"}}]}',
  ],
  ['GET', '/system/functions', undefined],
  ['GET', '/system/function/fn', undefined],
  ['GET', '/system/logs?name=fn&tail=5', undefined],
  ['GET', '/system/info', undefined],
  ['GET', '/system/namespaces', undefined],
  ['GET', '/system/secrets', undefined],
  ['GET', '/healthz', undefined],
  ['GET', '/metrics', undefined],
  ['GET', '/ui/', undefined],
  ['POST', '/function/fn', 'payload'],
  ['PUT', '/function/fn.openfaas-fn/deep/path', 'payload'],
  ['GET', '/function/fn/a/b.txt', undefined],
  ['POST', '/async-function/fn', 'payload'],
]

const operation = fc
  .record({
    op: fc.constantFrom(...OPERATIONS),
    // Now and then the body is swapped for another one: random bytes, a large one, one past the limit.
    otherBytes: sometimes(bytes, undefined, 5),
    framing,
    chunks: fc.integer({ min: 1, max: 6 }),
    tail: sometimes(tail, '', 8),
    // Mostly the query the operation needs; now and then a hostile one on top.
    query: sometimes(query, '', 3),
  })
  .map(({ op: [method, route, json], otherBytes, framing, chunks, tail: more, query: q }) => {
    const [pathPart = '', given = ''] = route.split(/\?(.*)/s, 2)
    const spec = otherBytes ?? (json === undefined ? undefined : { json })
    return {
      method,
      path: pathPart + more,
      query: given ? `?${given}${q ? `&${q.slice(1)}` : ''}` : q,
      body: spec && { bytes: spec, framing, chunks },
    }
  })

const chaos = fc
  .record({
    method: fc.constantFrom(...METHODS),
    path,
    query,
    body,
    bodyOnGet: fc.oneof(
      { weight: 9, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
  })
  // A GET or HEAD with a body is refused before anything else is looked at: now and then, not half the time.
  .map(({ bodyOnGet, ...r }) =>
    (r.method === 'GET' || r.method === 'HEAD') && !bodyOnGet ? { ...r, body: undefined } : r,
  )

/** Credentials first, as a client sends them: right, wrong, or none. */
const credentials = fc.constantFrom<Header[]>(
  [['Authorization', VALID_AUTHORIZATION]],
  [['Authorization', VALID_AUTHORIZATION]],
  [['Authorization', VALID_AUTHORIZATION]],
  [],
  [],
  [['Authorization', basic(USER, 'wrong')]],
)

/** A request from `operation` or `chaos`, credentials first, then other headers drawn from `header`. */
function hostileRequestWith(credentials: fc.Arbitrary<Header[]>, otherHeader: fc.Arbitrary<Header>) {
  return fc
    .record({
      request: fc.oneof({ weight: 2, arbitrary: operation }, { weight: 1, arbitrary: chaos }),
      credentials,
      headers: fc.array(otherHeader, { maxLength: 6 }),
      oversize,
    })
    .map(({ request, credentials: given, headers, oversize: over }) => ({
      ...request,
      headers: [...given, ...headers],
      // An oversized head goes without a body: workerd refuses it unread, and unread bytes would reset the
      // connection under its answer.
      body: over ? undefined : request.body,
      oversize: over,
    }))
}

export const hostileRequest = hostileRequestWith(credentials, header)

/**
 * The same requests for a gateway that takes tokens (JWT auth on, basic auth off): first a valid token
 * (the admin's, the invoker's, or one that allows nothing here), a junk one, basic credentials it does not
 * take, or none, in `Authorization: Bearer` or `Cf-Access-Jwt-Assertion`; now and then a second one among
 * the other headers, and an `X-Auth-Subject` of the caller's own.
 */
export function tokenRequest(tokens: Tokens) {
  const placed = (list: string[]) =>
    fc
      .tuple(fc.constantFrom(...list), fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'assertion'))
      .map(
        ([token, how]): Header =>
          how === 'assertion' ? ['Cf-Access-Jwt-Assertion', token] : ['Authorization', how + token],
      )
  const { admin, invoker, elsewhere, nobody } = tokens.valid
  const junk = Object.values(tokens.junk)
  const credential = fc.oneof(
    { weight: 4, arbitrary: placed(admin) },
    { weight: 2, arbitrary: placed(invoker) },
    { weight: 2, arbitrary: placed([...elsewhere, ...nobody]) },
    { weight: 4, arbitrary: placed(junk) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Header>(
        ['Authorization', VALID_AUTHORIZATION],
        ['Authorization', 'Bearer'],
        ['Authorization', 'Bearer '],
        // A valid token without its scheme.
        ['Authorization', admin[0] as string],
      ),
    },
  )
  const given = fc.oneof(
    { weight: 5, arbitrary: credential.map((h) => [h]) },
    { weight: 1, arbitrary: fc.constant<Header[]>([]) },
  )
  const other = fc.oneof(
    { weight: 20, arbitrary: header },
    { weight: 1, arbitrary: credential },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Header>(['X-Auth-Subject', 'admin'], ['x-auth-subject', 'root']),
    },
  )
  return hostileRequestWith(given, other)
}

export type HostileRequest = typeof hostileRequest extends fc.Arbitrary<infer T> ? T : never

/** The request target as sent: path and query, made oversized if the case says so. */
export function targetOf(r: HostileRequest): string {
  const target = r.path + r.query
  return r.oversize === 'url'
    ? `${target}${target.includes('?') ? '&' : '?'}pad=${'p'.repeat(URL_LIMIT + 4_000)}`
    : target
}

/** The bytes on the wire, and whether they hold the whole body their framing announces. */
export function wireBytes(r: HostileRequest, tag: number): { bytes: Buffer; complete: boolean } {
  const lines = [
    `${r.method} ${targetOf(r)} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    `${TAG}: ${tag}`,
  ]
  for (const [name, value] of r.headers) lines.push(`${name}: ${value}`)
  if (r.oversize === 'head') lines.push(`X-Padding: ${'h'.repeat(HEAD_LIMIT + 100_000)}`)
  const body = r.body
  let payload: Buffer = Buffer.alloc(0)
  let complete = true
  if (body) {
    const all = bodyBytes(body.bytes)
    if (body.framing === 'length' || body.framing === 'truncated-length') {
      lines.push(`Content-Length: ${all.length + (body.framing === 'truncated-length' ? 10 : 0)}`)
      payload = all
      complete = body.framing === 'length'
    } else {
      lines.push('Transfer-Encoding: chunked')
      const size = Math.ceil(all.length / body.chunks) || 1
      const parts: Buffer[] = []
      for (let at = 0; at < all.length; at += size) {
        const chunk = all.subarray(at, at + size)
        parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'))
      }
      if (body.framing === 'chunked') parts.push(Buffer.from('0\r\n\r\n'))
      // A chunk announced longer than what follows, and the connection ends.
      if (body.framing === 'truncated-chunked') parts.push(Buffer.from('ff\r\nshort'))
      if (body.framing === 'broken-chunk') parts.push(Buffer.from('zz\r\nnot hex\r\n0\r\n\r\n'))
      payload = Buffer.concat(parts)
      complete = body.framing === 'chunked'
    }
  }
  // Header values are written as UTF-8 except the Latin-1 test strings, which go out byte for byte.
  const head = lines.map((line) =>
    [...line].some((ch) => (ch.codePointAt(0) ?? 0) > 0xff)
      ? Buffer.from(line, 'utf8')
      : Buffer.from(line, 'latin1'),
  )
  const crlf = Buffer.from('\r\n')
  return {
    bytes: Buffer.concat([...head.flatMap((line) => [line, crlf]), crlf, payload]),
    complete,
  }
}

/** True when the request carries exactly one Authorization header, and it holds the right credentials. */
export function authenticated(r: HostileRequest): boolean {
  const given = r.headers.filter(([name]) => name.toLowerCase() === 'authorization')
  return given.length === 1 && given[0]?.[1] === VALID_AUTHORIZATION
}
