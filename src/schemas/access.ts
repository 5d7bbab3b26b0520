import * as z from 'zod/mini'

// AUTH_POLICIES: who may do what, as OpenFaaS Pro's IAM puts it: roles matched on a token's claims, each
// allowing actions on resources `namespace:function` (`*` for either part). Checked in src/access/.
export const ACTIONS = [
  'Function:Read',
  'Function:Admin',
  'Function:Logs',
  'Function:Invoke',
  'Secret:Read',
  'Secret:Admin',
  'Namespace:Read',
  'Namespace:Admin',
  'System:Admin',
] as const
export type Action = (typeof ACTIONS)[number]

const part = z.string().check(z.regex(/^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, 'must be a name or *'))
const resource = z.pipe(
  z.string().check(z.regex(/^[^:]+:[^:]+$/, 'must be namespace:function, * allowed for either part')),
  z.transform((r, ctx) => {
    const [namespace = '', name = ''] = r.split(':')
    for (const p of [namespace, name]) {
      if (!part.safeParse(p).success) {
        ctx.issues.push({ code: 'custom', message: `"${r}": "${p}" is not a name or *`, input: r })
        return z.NEVER
      }
    }
    return { namespace, name }
  }),
)

const Role = z.object({
  name: z.string().check(z.minLength(1)),
  match: z.object({ claim: z.string().check(z.minLength(1)), value: z.string() }),
  allow: z.array(
    z.object({
      actions: z
        .array(z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }))
        .check(z.minLength(1)),
      resources: z.array(resource).check(z.minLength(1)),
    }),
  ),
})
export type Role = z.infer<typeof Role>

/** AUTH_POLICIES: `{"roles":[…]}`, exactly. */
export const Policies = z.pipe(
  z.pipe(
    z.string(),
    z.transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown
      } catch (error) {
        ctx.issues.push({ code: 'custom', message: `is not JSON: ${(error as Error).message}`, input: raw })
        return z.NEVER
      }
    }),
  ),
  z.strictObject({ roles: z.array(Role) }),
)

/** One action allowed on `namespace:name`, from one role's allow list. */
export type Grant = { action: Action; namespace: string; name: string }

/** Who is calling: the basic-auth user (every permission, as System:Admin), or a token's subject and grants. */
export type Principal = { subject: string; admin: boolean; grants: Grant[] }
