import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float16Bits, fromHalf, toHalf } from './fp16.ts';
import { StopStringMatcher } from './stop.ts';

test('stop strings split across fragments are found and never streamed', () => {
  const m = new StopStringMatcher(['</s>', 'STOP']);
  const out: string[] = [];
  let stopped = false;
  for (const piece of ['Hello <', '/', 'x> wor', 'ld ST', 'OP tail']) {
    const r = m.push(piece);
    out.push(r.emit);
    if (r.stopped) {
      stopped = true;
      break;
    }
  }
  assert.equal(stopped, true);
  assert.equal(out.join(''), 'Hello </x> world ');
  assert.ok(!out.some((s) => s.includes('ST') && !s.includes('STOP') && s.endsWith('ST')));
});

test('held-back text is released by flush when no stop string follows', () => {
  const m = new StopStringMatcher(['STOP']);
  assert.equal(m.push('abc ST').emit, 'abc ');
  assert.equal(m.flush(), 'ST');
  assert.deepEqual(new StopStringMatcher([]).push('x'), { emit: 'x', stopped: false });
});

test('float16 conversion round-trips and handles specials', () => {
  for (const v of [0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) assert.equal(fromHalf(toHalf(v)), v);
  assert.equal(toHalf(1e6), 0x7c00);
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  assert.equal(Math.abs(fromHalf(toHalf(0.1)) - 0.1) < 1e-4, true);
});

test('float16 data is read as raw bits from Uint16Array or any 2-byte typed array (Float16Array path)', () => {
  const u = Uint16Array.of(0x3c00, 0xc000);
  assert.equal(float16Bits(u), u);
  // Node 20 has no Float16Array; any 2-byte view stands in for it: bits are reinterpreted, not converted.
  const F16 = (globalThis as { Float16Array?: new (b: ArrayBuffer) => ArrayBufferView }).Float16Array ?? Int16Array;
  const view = new F16(u.buffer);
  const bits = float16Bits(view);
  assert.deepEqual([...bits], [0x3c00, 0xc000]);
  assert.equal(bits.buffer, u.buffer);
  assert.throws(() => float16Bits(new Float32Array(2)));
});
