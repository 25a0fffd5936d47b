// Every route of a built app, read from the app itself (printRoutes), so a test that walks them
// covers a route added later without being told. Path parameters are filled by name from `fill`;
// a parameter it does not know fails the test that asked, naming the route.
import type { FastifyInstance } from 'fastify'

export interface Route {
  readonly method: string
  /** As registered: /chat/Dialog/:dialog_id, /docs/*. */
  readonly url: string
}

/**
 * Parses `printRoutes()`: a radix tree, one line per node (4 characters of drawing per level), the
 * node's part of the path, and its methods in brackets when a route ends there. Each route found is
 * checked with hasRoute, so a misread tree fails loudly instead of skipping routes.
 */
export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = []
  const stack: string[] = []
  for (const line of app.printRoutes().split('\n')) {
    const m = /^([│ ├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!m) continue
    const depth = [...m[1]!].length / 4
    stack.length = depth - 1
    stack.push(m[2]!)
    if (m[3] === undefined) continue
    const url = stack.join('')
    for (const method of m[3].split(', ')) {
      if (method === 'HEAD') continue
      if (!app.hasRoute({ method: method as 'GET', url })) throw new Error(`misread the route tree: no ${method} ${url}`)
      routes.push({ method, url })
    }
  }
  return routes
}

/** The route's URL with each `:name` (and `*`) replaced by fill(name), URL-encoded. */
export function pathOf(route: Route, fill: (name: string) => string): string {
  return route.url.replace(/:(\w+)|\*/g, (whole, name: string | undefined) => encodeURIComponent(fill(name ?? '*')))
}
