// `Expect: 100-continue`: "100 Continue" goes out only once the request is accepted (routed, credentials checked).
//
//   node (checkContinue) --no automatic 100--> fastify routing --> onRequest hooks (credentials, hook roles)
//     refused  --> the final 4xx at once, Connection: close (the client never sends its body)
//     accepted --> preParsing: "100 Continue" (unless Content-Length is over the body limit: 413), then the body
//
// Without this, node sends "100 Continue" before fastify runs and a refusal follows in the same write;
// Dovecot's HTTP client then waits for its timeout instead of failing at once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

const CONTINUE_PENDING = Symbol('authstudio.continuePending');
type Pending = IncomingMessage & { [CONTINUE_PENDING]?: boolean };

export function registerExpectContinue(app: FastifyInstance): void {
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    (req as Pending)[CONTINUE_PENDING] = true;
    app.server.emit('request', req, res);
  });
  // callback hooks (every request passes them): no promise per request
  app.addHook('preParsing', (req, reply, payload, done) => {
    const raw = req.raw as Pending;
    // a body over the route's limit is refused next (413): the client need not send it either
    if (raw[CONTINUE_PENDING] && Number(req.headers['content-length'] ?? 0) <= req.routeOptions.bodyLimit) {
      raw[CONTINUE_PENDING] = false;
      if (!reply.raw.headersSent) reply.raw.writeContinue();
    }
    done(null, payload);
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    // answered before the body was asked for: the client may still send it, so the connection ends here
    if ((req.raw as Pending)[CONTINUE_PENDING]) reply.header('Connection', 'close');
    done(null, payload);
  });
}
