// Servers behind the gateway may decode a path more than once, treat `\` as a
// separator, cut a segment at `;` (path parameters), trim trailing dots and
// spaces, or fold Unicode look-alikes (NFKC) before resolving dot segments.
// The checks here assume any of them could happen, at any depth.

const MAX_DECODES = 8
const ESCAPE = /%([0-9a-fA-F]{2})/g

/**
 * Percent-decodes until nothing changes, leaving escapes that are not two hex
 * digits as they are (`%ff` decodes to U+00FF, `100%` stays), so a path that
 * is not valid UTF-8 can still be judged. Undefined when still changing after
 * eight rounds: no legitimate path is encoded that deep.
 */
export function decodeFully(path: string): string | undefined {
  let current = path
  for (let i = 0; i < MAX_DECODES; i++) {
    if (!current.includes('%')) return current
    const decoded = current.replace(ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    if (decoded === current) return current
    current = decoded
  }
  return undefined
}

/**
 * What a Unicode-folding server would see: percent-decoded bytes read as
 * UTF-8 where they form it, then NFKC (U+FF0E, the full-width dot, is a dot).
 * Characters beyond one byte came unencoded in the URL and are folded as they are.
 */
function folded(decoded: string): string {
  if (!/[\u0080-\uffff]/.test(decoded)) return decoded
  if (/[\u0100-\uffff]/.test(decoded)) return decoded.normalize('NFKC')
  const bytes = Uint8Array.from(decoded, (ch) => ch.charCodeAt(0))
  return new TextDecoder().decode(bytes).normalize('NFKC')
}

// A segment made of dots, white space and control characters, with at least one dot: `.`, `..`, `.. `, `...`.
// Servers that trim a segment trim white space and control characters (\p{Cc}) alike.
const DOT_SEGMENT = /^[.\s\p{Cc}]*\.[.\s\p{Cc}]*$/u
const BLANKS = /[\s\p{Cc}]/gu
const TRAILING_DOTS_AND_BLANKS = /[.\s\p{Cc}]+$/u

function segments(path: string): string[] {
  return path.split(/[/\\]/).map((segment) => {
    const parameters = segment.indexOf(';')
    return parameters === -1 ? segment : segment.slice(0, parameters)
  })
}

/**
 * Why a path below a function could be resolved outside it by some server
 * behind the gateway, or undefined when it cannot: it has no dot segment in
 * any spelling (encoded to any depth, with `\` or `;`, Unicode look-alikes).
 */
export function dotSegmentProblem(rest: string): string | undefined {
  // Nearly every invocation: nothing that could spell a dot segment.
  if (!/[.%\\\u0080-\uffff]/.test(rest)) return undefined
  const decoded = decodeFully(rest)
  if (decoded === undefined) return `it is percent-encoded more than ${MAX_DECODES} levels deep`
  for (const form of [decoded, folded(decoded)]) {
    if (segments(form).some((segment) => DOT_SEGMENT.test(segment))) {
      return 'it contains a dot segment ("." or "..", in some spelling)'
    }
  }
  return undefined
}

/**
 * The path as the most permissive server behind us would resolve it: fully
 * decoded, `\` as `/`, path parameters, trailing dots and spaces dropped, dot
 * segments resolved, lower case. Undefined when it cannot be decoded to a
 * fixed point.
 */
export function canonicalPath(raw: string): string | undefined {
  const decoded = decodeFully(raw)
  if (decoded === undefined) return undefined
  const out: string[] = []
  for (const segment of segments(folded(decoded))) {
    if (DOT_SEGMENT.test(segment)) {
      // Treat `...` and `.. ` like `..`: some servers trim them to it.
      if (segment.replace(BLANKS, '') !== '.') out.pop()
      continue
    }
    const name = segment.replace(TRAILING_DOTS_AND_BLANKS, '')
    if (name !== '') out.push(name.toLowerCase())
  }
  return `/${out.join('/')}`
}
