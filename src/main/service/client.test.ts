import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testBackend } from '../app/backend.testkit.ts';
import { createClient } from '../../shared/client.ts';
import { AppError } from '../../shared/errors.ts';
import { memoryChannel } from './memory-channel.ts';
import { createService } from './service.ts';

let backend: Awaited<ReturnType<typeof testBackend>>;
before(async () => {
  backend = await testBackend();
});
after(() => backend.cleanup());

test('app.info returns real facts through the contract', async () => {
  const channel = memoryChannel(createService({ backend, transport: 'memory' }));
  const client = createClient(channel);
  const info = await client.call('app.info', {});
  assert.equal(info.dataDir, backend.dataDir);
  assert.equal(info.nodeVersion, process.versions.node);
  assert.match(info.onnxruntimeVersion, /^\d+\.\d+\.\d+/);
  assert.equal(info.platform, process.platform);
  assert.equal(info.transport, 'memory');
  client.close();
});

test('unknown methods and invalid params come back as serialized errors', async () => {
  const client = createClient(memoryChannel(createService({ backend, transport: 'memory' })));
  await assert.rejects(
    client.call('nope' as 'app.info', {}),
    (e: unknown) => e instanceof AppError && e.title === 'Unknown method',
  );
  await assert.rejects(
    client.call('app.info', { extra: 1 } as never),
    (e: unknown) => e instanceof AppError && e.code === 'invalidParams' && /Invalid request/.test(e.title),
  );
});
