// The service over the fixture backend, reached through the in-memory channel as the renderer reaches it.
import { testBackend } from '../app/backend.testkit.ts';
import { createClient, type ApiClient } from '../../shared/client.ts';
import { memoryChannel } from './memory-channel.ts';
import { createService } from './service.ts';

export type TestBackend = Awaited<ReturnType<typeof testBackend>>;

export async function openTestService(): Promise<{ backend: TestBackend; client: ApiClient; close(): Promise<void> }> {
  const backend = await testBackend();
  const client = createClient(memoryChannel(createService({ backend, transport: 'memory' })));
  return {
    backend,
    client,
    close: async () => {
      client.close();
      await backend.cleanup();
    },
  };
}
