// The lossy codecs undo RoPE on keys with ModelInfo.rope (codec/rope.ts). That only helps if it is the
// rotation the model applied: checked on real sessions, where layer 0's key of a token is RoPE(position)
// of a vector that depends on the token alone.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture } from '../engine/test-fixtures.ts';
import { ropeTable, rotateRow } from './codec/rope.ts';

const DEFAULT_MODEL = resolve(import.meta.dirname, '../../../resources/models/reprise-tiny');
const models = [fixture('tiny-llama'), ...(existsSync(join(DEFAULT_MODEL, 'config.json')) ? [DEFAULT_MODEL] : [])];

for (const dir of models) {
  test(`ModelInfo.rope is the model's own RoPE (${dir.split('/').slice(-2).join('/')})`, async () => {
    const engine = await Engine.load(dir, {});
    try {
      const rope = engine.info.rope;
      assert.ok(rope, 'config.json names rope_theta');
      const { numKvHeads: H, headDim: D } = engine.info.layout;
      const n = 48;
      const g = await engine.createGenerator();
      await g.appendTokens(Array.from({ length: n }, () => 7));
      const kv = await g.exportKv(0, n);
      await g.dispose();
      const key = Float64Array.from(kv.layers[0]!.key as Float32Array);
      const raw = Float64Array.from(key);
      const tab = ropeTable(rope, 0, n);
      for (let h = 0; h < H; h++) for (let t = 0; t < n; t++) rotateRow(key, (h * n + t) * D, tab, t, -1);
      let spread = 0;
      let rawSpread = 0;
      let scale = 0;
      for (let h = 0; h < H; h++)
        for (let t = 1; t < n; t++)
          for (let d = 0; d < D; d++) {
            const i = (h * n + t) * D + d;
            const first = h * n * D + d;
            spread = Math.max(spread, Math.abs(key[i]! - key[first]!));
            rawSpread = Math.max(rawSpread, Math.abs(raw[i]! - raw[first]!));
            scale = Math.max(scale, Math.abs(key[first]!));
          }
      assert.ok(spread <= 1e-4 * Math.max(1, scale), `un-rotated keys differ by ${spread} across positions`);
      assert.ok(rawSpread > 100 * Math.max(spread, 1e-6), `raw keys barely move (${rawSpread}): nothing was tested`);
    } finally {
      await engine.dispose();
    }
  });
}
