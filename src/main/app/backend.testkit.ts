/** Tests: a real backend (SQLite file in a temp dir, a fixture model in the engine worker). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackend, type Backend } from './backend.ts';

export const FIXTURE_MODEL = join(import.meta.dirname, '../../../fixtures/models/tiny-llama');

export async function testBackend(modelDir = FIXTURE_MODEL): Promise<Backend & { cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-backend-'));
  const backend = openBackend({ dataDir, defaultModelDir: modelDir, log: () => {} });
  await backend.firstLoad;
  return {
    ...backend,
    async cleanup() {
      await backend.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
