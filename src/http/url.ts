/**
 * Path and query of a request URL exactly as sent (no decoding), found
 * without building a URL object: this runs on every invocation.
 */
export function splitUrl(url: string): { path: string; search: string } {
  const pathStart = url.indexOf('/', url.indexOf('://') + 3)
  if (pathStart === -1) return { path: '/', search: '' }
  const queryStart = url.indexOf('?', pathStart)
  return queryStart === -1
    ? { path: url.slice(pathStart), search: '' }
    : { path: url.slice(pathStart, queryStart), search: url.slice(queryStart) }
}
