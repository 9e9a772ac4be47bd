// The span of one auth request, as Nauthilus's otelgin middleware names it (core/http.go): "METHOD /route".
import type { AuthRequest } from '../pipeline/auth-request';
import type { RequestTrace } from './request-trace';
import type { WorkspaceTracer } from './workspace-tracer';

/** The auth endpoints' routes (a request the studio makes without HTTP is named by its endpoint). */
const ROUTE_OF: Record<AuthRequest['endpoint'], string> = {
  json: '/api/v1/auth/json', header: '/api/v1/auth/header', basic: '/api/v1/auth/basic', nginx: '/api/v1/auth/nginx', simulate: '/api/v1/auth/json',
};

/** Start the request span under the trace context the caller's headers carry (traceparent), if any. */
export function startRequestSpan(tracer: WorkspaceTracer, req: AuthRequest): RequestTrace {
  const method = req.http?.method || 'POST';
  const route = req.http?.path || ROUTE_OF[req.endpoint] || `/api/v1/auth/${req.endpoint}`;
  return tracer.startRequest(`${method} ${route}`, {
    'http.request.method': method,
    'http.route': route,
    'url.path': route,
  }, req.http?.headers);
}
