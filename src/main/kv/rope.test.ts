// The lossy codecs undo RoPE on keys with ModelInfo.rope (codec/rope.ts). That only helps if it is the
// rotation the model applied: checked on real sessions, where layer 0's key of a token is RoPE(position)
// of a vector that depends on the token alone.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../engine/config.ts';
import { test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture } from '../engine/fixtures.testkit.ts';
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

test('ModelInfo.rope: only plain RoPE from config.json is undone; scaled or mixed variants are left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-rope-'));
  try {
    const base = { num_hidden_layers: 2, num_attention_heads: 4, hidden_size: 256, vocab_size: 100 };
    const rope = (extra: Record<string, unknown>) => {
      const f = join(dir, 'config.json');
      writeFileSync(f, JSON.stringify({ ...base, ...extra }));
      return parseConfig(f, null).rope;
    };
    assert.deepEqual(rope({ rope_theta: 10000 }), { theta: 10000, dims: 64 });
    assert.deepEqual(rope({ rope_parameters: { rope_type: 'default', rope_theta: 1e6 } }), { theta: 1e6, dims: 64 });
    assert.deepEqual(rope({ rope_theta: 10000, partial_rotary_factor: 0.4 }), { theta: 10000, dims: 24 });
    assert.equal(rope({}), null, 'no RoPE named (e.g. learned positions)');
    assert.equal(rope({ rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 32 } }), null);
    assert.equal(rope({ rope_theta: 10000, rope_scaling: { type: 'linear', factor: 2 } }), null);
    assert.equal(rope({ rope_parameters: { rope_type: 'yarn', rope_theta: 1e6 } }), null);
    assert.equal(rope({ rope_theta: 1e6, rope_local_base_freq: 10000 }), null, 'Gemma 3 mixes two bases');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
