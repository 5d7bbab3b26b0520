import { Hono } from 'hono'
import type { AppDeps } from '../deps.ts'
import { badRequest } from '../errors.ts'
import { functionStatus } from '../functions.ts'
import { DeleteFunctionRequest, FunctionDeployment, pathName, ScaleServiceRequest } from '../schemas.ts'
import { parse, readJson } from '../validate.ts'
import { existingNamespace, namespaceOf } from './namespace-param.ts'
import { resource } from './resource.ts'

export function functionRoutes(deps: AppDeps) {
  const app = new Hono()

  resource(app, '/system/functions', {
    GET: (c) => {
      const namespace = existingNamespace(c, deps)
      return c.json(deps.functions.list(namespace).map(functionStatus))
    },
    POST: async (c) => {
      const { spec, namespace } = await readJson(c, FunctionDeployment, 'function deployment')
      await deps.functions.deploy(namespaceOf(c, deps, namespace), spec)
      return c.body(null, 202)
    },
    PUT: async (c) => {
      const { spec, namespace } = await readJson(c, FunctionDeployment, 'function deployment')
      await deps.functions.update(namespaceOf(c, deps, namespace), spec)
      return c.body(null, 202)
    },
    DELETE: async (c) => {
      const { functionName, namespace } = await readJson(c, DeleteFunctionRequest, 'delete request')
      await deps.functions.remove(namespaceOf(c, deps, namespace), functionName)
      return c.body(null, 202)
    },
  })

  resource(app, '/system/function/:name', {
    GET: (c) => {
      const name = parse(pathName, c.req.param('name'), 'function name')
      return c.json(functionStatus(deps.functions.get(namespaceOf(c, deps), name)))
    },
  })

  resource(app, '/system/scale-function/:name', {
    POST: async (c) => {
      const name = parse(pathName, c.req.param('name'), 'function name')
      const request = await readJson(c, ScaleServiceRequest, 'scale request')
      if (request.serviceName && request.serviceName !== name) {
        throw badRequest(
          `invalid scale request: serviceName ${request.serviceName} does not match the path's ${name}`,
        )
      }
      await deps.functions.scale(namespaceOf(c, deps, request.namespace), name, request.replicas)
      return c.body(null, 202)
    },
  })

  return app
}
