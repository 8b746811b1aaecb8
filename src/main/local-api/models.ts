// GET /v1/models and /v1/models/{id}: the loaded model (the one requests run on) first, then the models
// installed in the library (a request must name the loaded one; the others say how to load them).
import type { Hono } from 'hono';
import { listInstalled } from '../models/library.ts';
import { ApiError } from './errors.ts';
import type { ApiRunner } from './runner.ts';

const modelObject = (id: string, created: number) => ({ id, object: 'model' as const, created, owned_by: 'reprise' });

export function modelRoutes(app: Hono, runner: ApiRunner, startedAt: number): void {
  const ids = (): string[] => {
    const loaded = runner.modelId();
    const installed = listInstalled(runner.backend.dataDir).map((m) => m.name);
    return [...(loaded ? [loaded] : []), ...installed.filter((n) => n !== loaded)];
  };
  // both wait for a model load in progress, so a client starting with the app sees the model
  app.get('/v1/models', async (c) => {
    await runner.settled();
    return c.json({ object: 'list', data: ids().map((id) => modelObject(id, startedAt)) });
  });
  app.get('/v1/models/:id{.+}', async (c) => {
    await runner.settled();
    const id = c.req.param('id');
    if (!ids().includes(id))
      throw new ApiError(404, `The model '${id}' does not exist.`, 'invalid_request_error', 'model', 'model_not_found');
    return c.json(modelObject(id, startedAt));
  });
}
