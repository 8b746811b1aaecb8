// The local OpenAI-compatible API as a Hono app: Host check (no DNS rebinding), Bearer key, optional
// CORS, a body limit, and OpenAI-shaped errors for everything that fails.
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { timingSafeEqual } from 'node:crypto';
import { chatCompletionRoutes } from './chat-completions.ts';
import { completionRoutes } from './completions.ts';
import { sendError } from './errors.ts';
import { modelRoutes } from './models.ts';
import { responseRoutes } from './responses.ts';
import type { ApiRunner } from './runner.ts';

export interface ApiAppOptions {
  runner: ApiRunner;
  /** The current key (it can be regenerated while the server runs). */
  key: () => string;
  /** Host header values accepted (host or host:port); empty accepts any (an explicit non-loopback bind). */
  allowedHosts: () => string[];
  /** Origins allowed by CORS; none: no CORS headers (browsers on other origins are refused). */
  corsOrigins?: string[];
}

const sameKey = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function createApiApp(o: ApiAppOptions): Hono {
  const app = new Hono();
  const startedAt = Math.floor(Date.now() / 1000);
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      // middleware that made its own (OpenAI-shaped) response, e.g. bearerAuth
      if (err.res) return err.getResponse();
      const status = err.status;
      const message = status === 400 ? `Malformed request body: ${err.message}` : err.message;
      return c.json({ error: { message, type: 'invalid_request_error', param: null, code: null } }, status);
    }
    return sendError(c, o.runner.failed(c.req.path, err));
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          message: `Unknown endpoint ${c.req.method} ${c.req.path}`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      },
      404,
    ),
  );
  // DNS rebinding: a page on another name that resolves to 127.0.0.1 still sends its own Host
  app.use('*', async (c, next) => {
    const allowed = o.allowedHosts();
    const host = (c.req.header('host') ?? '').toLowerCase();
    if (allowed.length && !allowed.includes(host))
      return c.json(
        {
          error: {
            message: `Host '${host}' is not allowed`,
            type: 'invalid_request_error',
            param: null,
            code: 'forbidden_host',
          },
        },
        403,
      );
    await next();
  });
  if (o.corsOrigins?.length)
    app.use('*', cors({ origin: o.corsOrigins, allowHeaders: ['Authorization', 'Content-Type'] }));
  const unauthorized = (message: string) => ({
    error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
  });
  app.use(
    '/v1/*',
    bearerAuth({
      verifyToken: (token) => sameKey(token, o.key()),
      noAuthenticationHeader: {
        message: unauthorized(
          'Missing API key: send it as "Authorization: Bearer KEY" (Reprise shows the key in its Local API panel).',
        ),
      },
      invalidAuthenticationHeader: { message: unauthorized('Malformed Authorization header: expected "Bearer KEY".') },
      invalidToken: { message: unauthorized('Incorrect API key provided.') },
    }),
  );
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: 32 * 1024 * 1024,
      onError: (c) =>
        c.json(
          {
            error: {
              message: 'Request body is larger than 32 MiB',
              type: 'invalid_request_error',
              param: null,
              code: 'request_too_large',
            },
          },
          413,
        ),
    }),
  );
  modelRoutes(app, o.runner, startedAt);
  chatCompletionRoutes(app, o.runner);
  completionRoutes(app, o.runner);
  responseRoutes(app, o.runner);
  return app;
}
