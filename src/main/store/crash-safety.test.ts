import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { concatSlices } from '../kv/codec/tensors.ts';
import { planRestore } from '../kv/restore.ts';
import { synthKv } from '../kv/synth.testkit.ts';
import { Store } from './store.ts';
import { testCtx, testLayout, tmpDir } from './store.testkit.ts';

const child = fileURLToPath(new URL('./crash-child.testkit.ts', import.meta.url));

test(
  'SIGKILL while writing turns and blocks leaves a consistent, resumable database',
  { timeout: 120_000 },
  async () => {
    const t = tmpDir('reprise-crash-');
    try {
      for (let round = 0; round < 3; round++) {
        const committed: string[] = [];
        const p = spawn(process.execPath, ['--import', 'tsx', child, t.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let buf = '';
        const target = 10 + round * 7;
        await new Promise<void>((resolve, reject) => {
          p.stdout.on('data', (d: Buffer) => {
            buf += d.toString();
            const lines = buf.split('\n');
            buf = lines.pop()!;
            for (const l of lines) if (l.startsWith('committed ')) committed.push(l.slice(10));
            if (committed.length >= target && !p.killed) p.kill('SIGKILL');
          });
          p.on('exit', (_code, signal) =>
            signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited on its own (${_code})`)),
          );
        });
        const s = Store.open(t.dir);
        try {
          assert.equal(s.db.pragma('integrity_check', { simple: true }), 'ok');
          assert.deepEqual(s.db.pragma('foreign_key_check'), []);
          // every turn the child reported as committed is there, with a restorable, correct KV cache
          for (const id of committed) {
            const log = s.messages.tokenLog(id);
            assert.ok(log, `committed message ${id} missing`);
            const plan = await planRestore(log, testCtx, s.blocks, { logger: { warn: (m) => assert.fail(m) } });
            // a message's partial tail is released once a child saved its own blocks; leaves keep everything
            const isLeaf = s.messages.children(id).length === 0;
            const want = isLeaf ? log.length : Math.floor(log.length / testCtx.blockSize) * testCtx.blockSize;
            assert.ok(plan.restoredTokens >= want, `restored ${plan.restoredTokens} of ${log.length}`);
            assert.deepEqual(concatSlices(plan.slices), synthKv(testLayout, 0, log.slice(0, plan.restoredTokens)));
          }
          // bookkeeping kept by triggers is consistent
          const bad = s.db
            .prepare(
              'SELECT b.hash FROM kv_blocks b WHERE b.refcount != (SELECT count(*) FROM message_blocks mb WHERE mb.block_hash = b.hash) OR b.refcount <= 0',
            )
            .all();
          assert.deepEqual(bad, []);
          const u = s.db.prepare('SELECT stored_bytes AS s, blocks AS n FROM kv_usage').get() as {
            s: number;
            n: number;
          };
          const real = s.db
            .prepare('SELECT coalesce(sum(stored_bytes), 0) AS s, count(*) AS n FROM kv_blocks')
            .get() as { s: number; n: number };
          assert.deepEqual(u, real);
          // every indexed block has its file, whole (a file is renamed into place only once complete)
          const rows = s.db.prepare('SELECT hash, stored_bytes AS b FROM kv_blocks').all() as Array<{
            hash: string;
            b: number;
          }>;
          for (const r of rows) assert.equal(s.blocks.files.size(r.hash), r.b, `block ${r.hash}'s file`);
        } finally {
          s.close();
        }
      }
    } finally {
      t.cleanup();
    }
  },
);
