import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ImportMemory } from './import-memory.ts';

const dir = mkdtempSync(join(tmpdir(), 'reprise-imports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a file imported before is recognised by its bytes, across restarts, while its conversations exist', () => {
  const bytes = new TextEncoder().encode('{"format":"reprise"}');
  const hash = ImportMemory.hash(bytes);
  assert.equal(hash, ImportMemory.hash(new TextEncoder().encode('{"format":"reprise"}')));
  assert.notEqual(hash, ImportMemory.hash(new TextEncoder().encode('{"format":"reprise" }')));

  new ImportMemory(dir).remember(hash, {
    at: 1,
    filename: 'a.json',
    format: 'reprise-json',
    conversationIds: ['c1', 'c2'],
  });
  const again = new ImportMemory(dir); // a restart reads the file back
  assert.deepEqual(again.find(hash, () => true)?.conversationIds, ['c1', 'c2']);
  assert.deepEqual(again.find(hash, (id) => id === 'c2')?.conversationIds, ['c2'], 'only those still there');
  assert.equal(
    again.find(hash, () => false),
    null,
    'all deleted: importing again is no repeat',
  );
  assert.equal(
    again.find('0'.repeat(64), () => true),
    null,
  );
});
