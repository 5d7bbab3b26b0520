export const SIGNATURE_HEADER = 'x-callback-signature'
export const TIMESTAMP_HEADER = 'x-callback-timestamp'

const encoder = new TextEncoder()
const keys = new Map<string, Promise<CryptoKey>>()

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ])
    keys.set(secret, key)
  }
  return key
}

/**
 * `sha256=` and the hex HMAC-SHA256 of `{callId}.{timestamp}.{body}` under
 * CALLBACK_SIGNING_KEY. The call id and timestamp are signed so a receiver
 * can refuse a valid callback replayed later or for another call.
 */
export async function sign(
  secret: string,
  callId: string,
  timestamp: string,
  body: Uint8Array,
): Promise<string> {
  const prefix = encoder.encode(`${callId}.${timestamp}.`)
  const signed = new Uint8Array(prefix.byteLength + body.byteLength)
  signed.set(prefix)
  signed.set(body, prefix.byteLength)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await keyFor(secret), signed))
  let hex = ''
  for (const byte of mac) hex += byte.toString(16).padStart(2, '0')
  return `sha256=${hex}`
}
