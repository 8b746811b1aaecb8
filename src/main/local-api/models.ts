// GET /v1/models and /v1/models/{id}: the loaded model (the one requests run on).
import type { Hono } from 'hono';
import { ApiError } from './errors.ts';
import type { ApiRunner } from './runner.ts';

const modelObject = (id: string, created: number) => ({ id, object: 'model' as const, created, owned_by: 'reprise' });

export function modelRoutes(app: Hono, runner: ApiRunner, startedAt: number): void {
  app.get('/v1/models', (c) => {
    const id = runner.modelId();
    return c.json({ object: 'list', data: id ? [modelObject(id, startedAt)] : [] });
  });
  app.get('/v1/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    if (id !== runner.modelId())
      throw new ApiError(
        404,
        `The model '${id}' does not exist or is not loaded.`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    return c.json(modelObject(id, startedAt));
  });
}
