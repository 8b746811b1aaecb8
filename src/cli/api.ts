// `npm run cli -- api --data DIR [--model DIR] [--api-port N] [--api-key KEY] [--host ADDR] [--cors ORIGINS]`: the local
// OpenAI-compatible API, headless, until Ctrl+C. Loopback only unless --host names another address.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openBackend } from '../main/app/backend.ts';
import { LocalApiController } from '../main/local-api/controller.ts';
import { DEFAULT_MODEL_DIR } from './chat.ts';
import { UsageError } from './usage-error.ts';

export async function runApi(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      model: { type: 'string' },
      'api-port': { type: 'string' },
      'api-key': { type: 'string' },
      host: { type: 'string' },
      cors: { type: 'string' },
    },
  });
  if (!values.data) throw new UsageError('api needs --data DIR (where conversations and the cache live)');
  const port = values['api-port'] === undefined ? undefined : Number(values['api-port']);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new UsageError(`--api-port must be 0-65535, got ${values['api-port']}`);
  const key = values['api-key'] ?? process.env.REPRISE_API_KEY;
  if (key !== undefined && key.length < 16) throw new UsageError('the API key must be at least 16 characters');
  const backend = openBackend({
    dataDir: resolve(values.data),
    defaultModelDir: resolve(DEFAULT_MODEL_DIR),
    modelDir: values.model ? resolve(values.model) : undefined,
    log: (m) => console.error(m),
  });
  await backend.firstLoad;
  if (backend.models.status.state !== 'ready') {
    await backend.close();
    const s = backend.models.status;
    throw new UsageError(s.state === 'error' ? `${s.error.title}: ${s.error.cause ?? ''}` : 'the model did not load');
  }
  // CORS stays off (browsers on other origins are refused) unless origins are named
  const corsOrigins = values.cors
    ?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const api = new LocalApiController(backend, {
    force: { port },
    key,
    host: values.host,
    corsOrigins,
    log: (m) => console.log(m),
  });
  await api.apply();
  const status = api.status();
  if (!status.running) {
    await backend.close();
    throw new UsageError(status.error ? `${status.error.title}: ${status.error.cause ?? ''}` : 'the API did not start');
  }
  await new Promise<void>((done) => {
    const stop = () =>
      void api
        .close()
        .then(() => backend.close())
        .then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
