export type ShownBody =
  | { kind: 'empty' }
  | { kind: 'json'; text: string; pretty: string }
  | { kind: 'text'; text: string }
  | { kind: 'binary' }

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b|^application\/x-ndjson\b/i
// Control characters other than tab, line feed and carriage return mean the bytes are not meant as text.
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true
  }
  return false
}

/**
 * How a response body can be shown: pretty JSON when it parses as JSON,
 * text when it is valid UTF-8 without control characters, otherwise binary
 * (offered as a download). The bytes decide, not only the content type, since
 * many functions answer JSON or text as application/octet-stream.
 */
export function showBody(bytes: Uint8Array, contentType: string): ShownBody {
  if (bytes.length === 0) return { kind: 'empty' }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return { kind: 'binary' }
  }
  if (hasControlCharacters(text)) return { kind: 'binary' }
  const looksJson = JSON_TYPE.test(contentType) || /^\s*[[{]/.test(text)
  if (looksJson) {
    try {
      return { kind: 'json', text, pretty: JSON.stringify(JSON.parse(text), null, 2) }
    } catch {}
  }
  return { kind: 'text', text }
}
