import { canonicalPath } from './path-safety'
import { splitUrl } from './url'

// Paths that OpenFaaS never puts behind basic auth (/metrics has its own optional token), and `/`, which
// only redirects to the guarded portal.
// Anything may follow a function's name (the `s` flag: newlines included): invocations are never guarded.
const PUBLIC = /^\/(?:(?:function|async-function)\/[-a-zA-Z_0-9.]+(?:\/.*)?|healthz|metrics)?$/s

// What canonicalPath() acts on: escapes, backslashes, dots, parameters, white space, empty segments.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are trimmed like white space
const NORMALISABLE = /[%\\.;\s\x00-\x1f\x7f-\uffff]|\/\//

/**
 * True only when the path is public both as sent and after every
 * normalisation a server behind us might apply (percent-decoding, repeated or
 * back slashes, dot segments, case, trailing dots), so no spelling of a
 * guarded path can pass as public. Escapes that do not decode to UTF-8
 * (`%ff`, `100%`) change nothing: they cannot make a public path guarded.
 */
export function isPublicPath(url: string): boolean {
  const raw = splitUrl(url).path
  if (!PUBLIC.test(raw)) return false
  // Nearly every invocation: nothing that decoding, separators, dot segments or trimming could change,
  // so the canonical form differs only in case, which PUBLIC does not mind.
  if (!NORMALISABLE.test(raw)) return true
  const canonical = canonicalPath(raw)
  return canonical !== undefined && PUBLIC.test(canonical)
}
