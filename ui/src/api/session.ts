/**
 * The access token pasted into the portal, for a gateway with JWT auth and no
 * basic auth. It lives in this module only: never in storage, a cookie or the
 * URL, so a reload, a new tab or Sign out forgets it.
 */
let token: string | undefined

export type Session = {
  signedIn: boolean
  /** Set while the gateway wants a token; `refusal` is its 401 when it refused one the portal sent. */
  challenge: { refusal?: unknown } | undefined
}

let session: Session = { signedIn: false, challenge: undefined }
const listeners = new Set<(session: Session) => void>()

function update(next: Session): void {
  session = next
  for (const listener of listeners) listener(session)
}

export function currentSession(): Session {
  return session
}

export function subscribe(listener: (session: Session) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Adds the token to a request's headers, and returns it so its answer can be matched to it. */
export function withToken(headers: Headers): string | undefined {
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
  return token
}

export function signIn(pasted: string): void {
  token = pasted
  update({ signedIn: true, challenge: undefined })
}

export function signOut(): void {
  token = undefined
  update({ signedIn: false, challenge: {} })
}

/**
 * The gateway asked for a bearer token (a 401 with `WWW-Authenticate: Bearer`):
 * the token `sent` with that request, if any, is forgotten. An answer to a
 * request made with an older token than the current one changes nothing.
 */
export function challenged(sent: string | undefined, refusal: unknown): void {
  if (sent !== token) return
  token = undefined
  update({ signedIn: false, challenge: sent === undefined ? {} : { refusal } })
}
