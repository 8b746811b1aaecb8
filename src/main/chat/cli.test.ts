// The headless CLI end to end (src/cli/chat.ts, conversations.ts through the dispatcher): a second
// `chat` process on the same data dir restores the first one's cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../engine/fixtures.testkit.ts';
import { tmpDir } from '../store/store.testkit.ts';

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('cli: chat twice across processes, list, export a bundle, import it', { timeout: 120_000 }, () => {
  const t = tmpDir('reprise-cli-');
  try {
    const model = fixture('tiny-llama');
    const a = cli(
      'chat',
      '--data',
      t.dir,
      '--model',
      model,
      '--new',
      '--system',
      'Be brief.',
      '--temperature',
      '0',
      '--max-tokens',
      '8',
      '--json',
      'Hello there',
    );
    assert.equal(a.code, 0, a.err);
    const first = JSON.parse(a.out) as { conversation_id: string; reply: string; stats: Record<string, number> };
    assert.equal(first.stats.restored_tokens, 0);
    for (const k of ['restored_tokens', 'prefilled_tokens', 'restore_ms', 'prefill_ms', 'ttft_ms'])
      assert.equal(typeof first.stats[k], 'number');
    const b = cli(
      'chat',
      '--data',
      t.dir,
      '--model',
      model,
      '--conversation',
      first.conversation_id,
      '--json',
      'And then?',
    );
    assert.equal(b.code, 0, b.err);
    const second = JSON.parse(b.out) as { stats: Record<string, number> };
    assert.ok(second.stats.restored_tokens! > 0, 'the new process restored the stored cache');
    const list = cli('list', '--data', t.dir, '--json');
    assert.equal((JSON.parse(list.out) as unknown[]).length, 1);
    const file = join(t.dir, 'c.reprise');
    assert.equal(
      cli('export', '--data', t.dir, '--conversation', first.conversation_id, '--format', 'bundle', '--out', file).code,
      0,
    );
    const imp = cli('import', '--data', join(t.dir, 'other'), '--json', file);
    assert.equal(imp.code, 0, imp.err);
    const imported = JSON.parse(imp.out) as { format: string; conversation_ids: string[] };
    assert.equal(imported.format, 'reprise-bundle');
    const ver = cli(
      'verify',
      '--data',
      join(t.dir, 'other'),
      '--model',
      model,
      '--conversation',
      imported.conversation_ids[0]!,
      '--json',
    );
    assert.equal(ver.code, 0, ver.err);
    const v = JSON.parse(ver.out) as { checked_blocks: number; replaced_blocks: number; verified_at: number };
    assert.ok(v.checked_blocks > 0 && v.replaced_blocks === 0 && v.verified_at > 0, ver.out);
    const bad = cli('chat', '--data', t.dir, '--model', model, '--codec', 'int3', 'hi');
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--codec must be exact, int8 or int4/);
  } finally {
    t.cleanup();
  }
});
