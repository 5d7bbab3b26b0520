import type { Action, Grant, Role } from '../schemas/access'

export type { Action, Grant }

// What a token's claims are allowed under AUTH_POLICIES (src/schemas/access.ts), and whether that covers
// an action on a resource.

/** What a token's claims are allowed: every grant of every role whose claim matches (a string, or one of an array). */
export function grantsOf(roles: readonly Role[], claims: Record<string, unknown>): Grant[] {
  const grants: Grant[] = []
  for (const role of roles) {
    const claim = claimAt(claims, role.match.claim)
    const matches = Array.isArray(claim) ? claim.includes(role.match.value) : claim === role.match.value
    if (!matches) continue
    for (const { actions, resources } of role.allow)
      for (const action of actions) for (const r of resources) grants.push({ action, ...r })
  }
  return grants
}

/**
 * A claim by name, or by a dotted path into an object claim when no claim has
 * the whole name: Cloudflare Access puts an identity provider's groups under
 * `custom` (`custom.groups`).
 */
function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name]
  let value: unknown = claims
  for (const key of name.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/**
 * Whether `grants` allow `action` in `namespace`, on function `name` when the
 * action is about one function. System:Admin allows everything. An action on
 * a namespace as a whole (listing its functions, its secrets) needs a grant
 * for the namespace, whatever its function part; a list is then filtered by
 * function.
 */
export function allows(grants: readonly Grant[], action: Action, namespace: string, name?: string): boolean {
  return grants.some(
    (g) =>
      (g.action === action || g.action === 'System:Admin') &&
      (g.namespace === '*' || g.namespace === namespace) &&
      (name === undefined || g.name === '*' || g.name === name || g.action === 'System:Admin'),
  )
}
