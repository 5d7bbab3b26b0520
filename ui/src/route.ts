import { useEffect, useState } from 'preact/hooks'

export type View = 'functions' | 'deploy' | 'secrets'

/** Where the portal is, kept in the URL's hash so reloads, links and the back button work. */
export type Place = {
  view: View
  /** The selected function, in the functions view. */
  fn?: string
  /** The chosen namespace; absent until the user picks one (the portal then picks a default). */
  ns?: string
}

const VIEWS: readonly View[] = ['functions', 'deploy', 'secrets']

/** `#/functions/wc?ns=openfaas-fn` → `{ view: 'functions', fn: 'wc', ns: 'openfaas-fn' }`; anything unknown is the list. */
export function parsePlace(hash: string): Place {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2)
  const [view, fn] = path.split('/').filter(Boolean).map(decodeURIComponent)
  const ns = new URLSearchParams(search).get('ns') ?? undefined
  const place: Place = { view: VIEWS.includes(view as View) ? (view as View) : 'functions' }
  if (place.view === 'functions' && fn) place.fn = fn
  if (ns !== undefined) place.ns = ns
  return place
}

export function href(place: Place): string {
  const path = place.fn ? `${place.view}/${encodeURIComponent(place.fn)}` : place.view
  return `#/${path}${place.ns !== undefined ? `?ns=${encodeURIComponent(place.ns)}` : ''}`
}

export function usePlace(): [Place, (place: Place) => void] {
  const [place, setPlace] = useState(() => parsePlace(location.hash))
  useEffect(() => {
    const onChange = () => setPlace(parsePlace(location.hash))
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  const go = (next: Place) => {
    location.hash = href(next)
  }
  return [place, go]
}
