import { splitUrl } from './url'

// Paths that OpenFaaS never puts behind basic auth, and `/`, which only redirects to the guarded portal.
const PUBLIC = /^\/(?:(?:function|async-function)\/[-a-zA-Z_0-9.]+(?:\/.*)?|healthz)?$/

/**
 * True only when the path is public both as sent and after every
 * normalisation a server behind us might apply (percent-decoding, repeated or
 * back slashes, dot segments, case, trailing dots), so no spelling of a
 * guarded path can pass as public.
 */
export function isPublicPath(url: string): boolean {
  const raw = splitUrl(url).path
  if (!PUBLIC.test(raw)) return false
  const canonical = canonicalPath(raw)
  return canonical !== undefined && PUBLIC.test(canonical)
}

function canonicalPath(raw: string): string | undefined {
  let path = raw
  // Decode until stable: double-encoding (%252e) is a classic way around a single decode.
  for (let i = 0; i < 4; i++) {
    let decoded: string
    try {
      decoded = decodeURIComponent(path)
    } catch {
      return undefined
    }
    if (decoded === path) break
    path = decoded
  }
  if (/%[0-9a-f]{2}/i.test(path)) return undefined
  const segments: string[] = []
  for (const segment of path.replace(/\\/g, '/').split('/')) {
    const trimmed = segment.replace(/[.\s]+$/, (dots) => (/^\.+$/.test(segment) ? dots : ''))
    if (trimmed === '' || trimmed === '.') continue
    if (trimmed === '..') segments.pop()
    else segments.push(trimmed.toLowerCase())
  }
  return `/${segments.join('/')}`
}
