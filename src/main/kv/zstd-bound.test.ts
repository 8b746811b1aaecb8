import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decoder } from '@toondepauw/node-zstd';
import { rleBomb } from '../store/exchange/bundle.testkit.ts';
import { ZstdBoundError, boundLimit, zstdFrameInfo } from './zstd-bound.ts';
import { zstdCompress, zstdDecompress } from './zstd.ts';

function floatLike(bytes: number): Buffer {
  const f = new Float32Array(bytes / 4);
  for (let i = 0; i < f.length; i++) f[i] = Math.sin(i * 0.01) * (1 + ((i * 2654435761) % 97) / 9700);
  return Buffer.from(f.buffer);
}
function noisy(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = 7;
  for (let i = 0; i < bytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = i % 3 === 0 ? x >>> 24 : (x >>> 28) & 3;
  }
  return b;
}

test('the frame bound covers what genuine bodies decompress to, within the accepted limit', async () => {
  const decoder = new Decoder();
  let worst = 0;
  for (const bytes of [4, 100, 5000, 200_000, 1_500_000, 6_000_000]) {
    for (const data of [floatLike(bytes), noisy(bytes), Buffer.alloc(bytes)]) {
      const z = await zstdCompress(data);
      const info = zstdFrameInfo(z);
      assert.ok(info.bound >= data.length, `bound ${info.bound} < ${data.length}`);
      assert.ok(info.bound <= boundLimit(data.length), `bound ${info.bound} over the limit for ${data.length}`);
      worst = Math.max(worst, (info.bound - 131072) / data.length);
      assert.deepEqual(await zstdDecompress(z, data.length), data);
      assert.equal((await decoder.decode(z)).length, data.length);
    }
  }
  assert.ok(worst < 16, `worst genuine bound ratio ${worst}`);
});

test('a decompression bomb is refused from its headers, before anything is inflated', async () => {
  const bomb = rleBomb(1024 ** 3); // 1 GiB from 32 KiB
  assert.ok(bomb.length < 40_000);
  assert.equal(zstdFrameInfo(bomb).bound, 1024 ** 3);
  const before = process.resourceUsage().maxRSS; // KiB, the process's peak so far
  for (let i = 0; i < 3; i++)
    await assert.rejects(zstdDecompress(bomb, 1_572_864), (e: Error) => {
      assert.ok(e instanceof ZstdBoundError, String(e));
      assert.match(e.message, /could inflate to 1073741824 bytes.*1572864 expected.*decompression bomb/);
      return true;
    });
  // without the check, each call inflates the whole GiB first (peak RSS +1 GiB or more)
  const grew = (process.resourceUsage().maxRSS - before) * 1024;
  assert.ok(grew < 64 * 1024 * 1024, `peak RSS grew by ${grew} bytes`);
});

test('frames the decoder would take but that are not one plain frame are refused', async () => {
  const one = await zstdCompress(floatLike(4096));
  const two = Buffer.concat([one, one]);
  assert.throws(() => zstdFrameInfo(two), /bytes after the frame/);
  assert.throws(() => zstdFrameInfo(one.subarray(0, one.length - 1)), /truncated/);
  const dict = Buffer.from(one);
  dict[4] = dict[4]! | 1;
  assert.throws(() => zstdFrameInfo(dict), /dictionary/);
  const wide = Buffer.from(one);
  wide[5] = 27 << 3; // a 128 GiB window: the decoder would allocate it up front
  assert.throws(() => zstdFrameInfo(wide), /window/);
  const skippable = Buffer.alloc(16);
  skippable.writeUInt32LE(0x184d2a50, 0);
  assert.throws(() => zstdFrameInfo(skippable), /bad magic/);
  // a frame that declares a content size other than the one expected
  await assert.rejects(zstdDecompress(one, 4095), /holds 4096 bytes, expected 4095/);
});
