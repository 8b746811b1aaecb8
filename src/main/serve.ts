/** Browser mode's composition root: the same service, carried over a token-guarded loopback WebSocket. */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createService } from './service/service.ts';
import { openBackend } from './app/backend.ts';
import { LocalApiController } from './local-api/controller.ts';
import { resolveDataDir } from './paths.ts';
import { startBrowserServer } from './transport/websocket.ts';

const HELP = `Usage: npm run serve -- [--port N] [--data-dir DIR] [--model DIR] [--api] [--api-port N]
Starts Reprise in browser mode on 127.0.0.1 and prints the URL to open (it carries a fresh token).
--api starts the local OpenAI-compatible API for this run (default port 1435, or the one in the settings),
whatever the "Local API" setting says; its key is the saved one (generated and printed on first use).`;

// A stray rejection is a bug to log, not a reason to take the user's session down.
process.on('unhandledRejection', (err) => console.error('reprise: unhandled rejection:', err));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      model: { type: 'string' },
      api: { type: 'boolean' },
      'api-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535, got ${values.port}`);
  const dataDir = resolveDataDir(values['data-dir']);
  const backend = openBackend({
    dataDir,
    defaultModelDir: fileURLToPath(new URL('../../resources/models/reprise-tiny', import.meta.url)),
    modelDir: values.model,
    workerPath: new URL('./engine-worker.js', import.meta.url),
  });
  const apiPort = values['api-port'] === undefined ? undefined : Number(values['api-port']);
  if (apiPort !== undefined && (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535))
    throw new Error(`--api-port must be 1-65535, got ${values['api-port']}`);
  const localApi = new LocalApiController(backend, {
    force: values.api || apiPort !== undefined ? { port: apiPort } : undefined,
    log: (m) => console.log(m),
  });
  await localApi.apply();
  const service = createService({ backend, transport: 'websocket', localApi });
  const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url));
  const server = await startBrowserServer({ service, rendererDir, port });
  console.log(`Reprise is running in browser mode. Open: ${server.url}`);
  const stop = (): void => {
    void server
      .close()
      .then(() => localApi.close())
      .then(() => backend.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`reprise: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
