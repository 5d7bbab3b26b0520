import { useEffect, useState } from 'preact/hooks'
import { currentSession, type Session, subscribe } from '../api/session'

/** The token session (api/session.ts) as state: a render whenever the user signs in or out or a token is refused. */
export function useSession(): Session {
  const [session, setSession] = useState(currentSession)
  useEffect(() => {
    // Whatever changed between the first render and now counts too.
    setSession(currentSession())
    return subscribe(setSession)
  }, [])
  return session
}
