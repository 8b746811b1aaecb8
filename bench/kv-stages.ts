// Where the time of saving and restoring a ~2k-token history goes (issue #18), stage by stage, on
// bench-100m with the exact codec: export from the engine, encode (shuffle, zstd, checksum), SQLite insert;
// SQLite read, checksum, zstd, unshuffle (the compressed exact body of block versions <= 3), the raw body's
// decode (what is stored now), hand-over to the engine. Each stage is timed on its own over the
// same blocks (the real paths overlap some of them), then the real paths end to end: snapshotRange + insert
// (save) and planRestore + Generator.restoreKv (restore). Medians over rounds; 2 shared cores, so noisy.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xxh64 } from '@node-rs/xxhash';
import { Engine } from '../src/main/engine/index.ts';
import { decodeBlockInto, readHeader } from '../src/main/kv/block-format.ts';
import { newTarget } from '../src/main/kv/codec/tensors.ts';
import { modelKvContext } from '../src/main/kv/context.ts';
import { planRestore } from '../src/main/kv/restore.ts';
import { snapshotRange } from '../src/main/kv/save.ts';
import { shuffle, unshuffle } from '../src/main/kv/shuffle.ts';
import { zstdCompress, zstdDecompress } from '../src/main/kv/zstd.ts';
import { Store } from '../src/main/store/store.ts';
import { BENCH_FIXTURE, ensureFixture } from '../tools/fixtures/build.ts';
import { CORPUS } from '../tools/fixtures/corpus.ts';
import { LONG_CONTEXT } from './long-context.ts';
import { median } from './stats.ts';

type Result = Record<string, number | string | boolean>;
const BLOCK = 64;

export async function benchKvStages(opts: { quick: boolean; log: (s: string) => void }): Promise<Result> {
  const { quick, log } = opts;
  const rounds = quick ? 3 : 7;
  const tmp = mkdtempSync(join(tmpdir(), 'reprise-bench-kv-'));
  const engine = await Engine.load(ensureFixture(BENCH_FIXTURE, false, log), {
    provider: 'cpu',
    threads: availableParallelism(),
  });
  try {
    const ids = (await engine.tokenize(CORPUS.repeat(Math.ceil((LONG_CONTEXT * 8) / CORPUS.length)))).slice(
      0,
      LONG_CONTEXT,
    );
    const gen = await engine.createGenerator();
    await gen.appendTokens(ids);
    const ctx = modelKvContext(engine.info, 'exact', BLOCK);
    const t: Record<string, number[]> = {};
    const time = async <T>(k: string, fn: () => Promise<T> | T): Promise<T> => {
      const t0 = performance.now();
      const r = await fn();
      (t[k] ??= []).push(performance.now() - t0);
      return r;
    };
    let bytes = 0;
    for (let r = 0; r < rounds; r++) {
      // save, end to end: what a turn pays for a history none of which is stored yet
      const store = Store.open(join(tmp, `r${r}`));
      const conv = store.conversations.create({ title: 'b', systemPrompt: '', sampling: {}, codec: 'exact' });
      const msg = store.messages.insert({
        conversationId: conv.id,
        parentId: null,
        role: 'user',
        content: 'x',
        tokenIds: ids,
        tokenEnd: ids.length,
      });
      const snap = await time('save.snapshot_ms', () =>
        snapshotRange(ids, 0, ctx, (a, b) => gen.exportKv(a, b), store.blocks),
      );
      await time('save.sqlite_insert_ms', () => store.attachBlocks(msg.id, snap.blocks, snap.refs));
      bytes = snap.blocks.reduce((n, b) => n + b.data.length, 0);
      // save, stage by stage
      const kv = await time('save.export_ms', () => gen.exportKv(0, ids.length));
      const raws: Buffer[] = [];
      await time('save.gather_ms', () => {
        for (let s = 0; s < ids.length; s += BLOCK) {
          const e = Math.min(ids.length, s + BLOCK);
          const parts: Uint8Array[] = [];
          for (const l of kv.layers)
            for (const a of [l.key, l.value]) {
              const D = ctx.layout.headDim;
              for (let h = 0; h < ctx.layout.numKvHeads; h++) {
                const x = a.subarray((h * ids.length + s) * D, (h * ids.length + e) * D);
                parts.push(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
              }
            }
          raws.push(Buffer.concat(parts));
        }
      });
      const shuffled = await time('save.shuffle_ms', () => raws.map((x) => shuffle(x, 4)));
      const packed = await time('save.zstd_ms', () => Promise.all(shuffled.map((x) => zstdCompress(x))));
      await time('save.checksum_ms', () => packed.forEach((x) => xxh64(x)));

      // restore, end to end (SQLite read + checksum + zstd + unshuffle into one buffer, then to the engine)
      const g2 = await engine.createGenerator();
      const plan = await time('restore.plan_ms', () => planRestore(ids, ctx, store.blocks, { logger: console }));
      if (plan.restoredTokens !== ids.length) throw new Error(`restored ${plan.restoredTokens}`);
      await time('restore.engine_ms', () => g2.restoreKv([plan.kv!], { transfer: true }));
      (t['restore.total_ms'] ??= []).push(t['restore.plan_ms']!.at(-1)! + t['restore.engine_ms']!.at(-1)!);
      await g2.dispose();
      // restore, stage by stage
      const blobs = await time('restore.sqlite_read_ms', () => plan.used.map((h) => store.blocks.blockData(h)!));
      await time('restore.checksum_ms', () => blobs.forEach((b) => readHeader(b)));
      // the same reads on a second connection that does not map the file (as before PRAGMA mmap_size)
      const unmapped = Store.open(join(tmp, `r${r}`));
      unmapped.db.pragma('mmap_size = 0');
      await time('restore.sqlite_read_unmapped_ms', () => plan.used.map((h) => unmapped.blocks.blockData(h)!));
      unmapped.close();
      // the compressed body (block versions <= 3), from the save stages above
      const bodies = await time('restore.zstd_ms', () =>
        Promise.all(packed.map((b, i) => zstdDecompress(b, raws[i]!.length))),
      );
      await time('restore.unshuffle_ms', () => bodies.forEach((b) => unshuffle(b, 4)));
      // the raw exact body (what is stored now): header + checksum + one copy per head row range
      const target = newTarget(ctx.layout, ids.length);
      await time('restore.decode_raw_ms', async () => {
        for (const [i, b] of blobs.entries()) {
          const start = i * BLOCK;
          target.at = start;
          target.limit = ids.length - start;
          const tokens = ids.slice(start, start + BLOCK);
          await decodeBlockInto(b, { hash: plan.used[i]!, layout: ctx.layout, start, tokens }, target);
        }
      });
      store.close();
    }
    const out: Result = { 'kv.history_tokens': ids.length, 'kv.exact.bytes_per_token': Math.round(bytes / ids.length) };
    for (const [k, v] of Object.entries(t)) {
      log(`${k}: [${v.map((x) => x.toFixed(1)).join(' ')}]`);
      out[`kv.${k}`] = Math.round(median(v) * 10) / 10;
    }
    return out;
  } finally {
    await engine.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchKvStages({ quick: process.argv.includes('--quick'), log: (s) => console.log(s) });
  console.log(JSON.stringify(r, null, 2));
}
