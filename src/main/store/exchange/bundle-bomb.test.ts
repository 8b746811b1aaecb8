import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRestore } from '../../kv/restore.ts';
import { tokenLog } from '../../kv/synth.testkit.ts';
import { asBlockHash } from '../../kv/hash.ts';
import { Store } from '../store.ts';
import { testCtx, writeTurn } from '../store.testkit.ts';
import { blockBody, packBundle, rleBomb, unpackBundle, withBody } from './bundle.testkit.ts';
import { ImportError, exportBundle, importFile } from './index.ts';

const logger = { warn() {} };

function dump(s: Store): string {
  return JSON.stringify([
    s.db.prepare('SELECT * FROM conversations ORDER BY id').all(),
    s.db.prepare('SELECT id FROM messages ORDER BY id').all(),
    s.db.prepare('SELECT hash, refcount FROM kv_blocks ORDER BY hash').all(),
  ]);
}

async function source() {
  const s = Store.open(':memory:');
  const c = s.conversations.create({ title: 't', codec: 'exact', modelFingerprint: testCtx.fingerprint });
  await writeTurn(s, c.id, null, tokenLog(40, 3), [5, 6, 7]);
  return { s, c };
}

test('a bundle whose block inflates far past its raw size is refused at import, the database unchanged', async () => {
  const { s, c } = await source();
  const { manifest, payloads } = unpackBundle(exportBundle(s, c.id));
  // every checksum recomputed: only the decompression bound can catch it
  payloads[0] = withBody(payloads[0]!, rleBomb(1024 ** 3));
  const bytes = packBundle(manifest, payloads);
  assert.ok(bytes.length < 100_000);
  const dst = Store.open(':memory:');
  const before = dump(dst);
  const peak = process.resourceUsage().maxRSS;
  assert.throws(
    () => importFile(dst, bytes),
    (e: unknown) => {
      assert.ok(e instanceof ImportError, String(e));
      assert.equal(e.code, 'importBundleBomb');
      assert.match(e.cause, /block 0 .*could inflate to 1073741824 bytes.*decompression bomb/);
      return true;
    },
  );
  assert.equal(dump(dst), before);
  assert.ok((process.resourceUsage().maxRSS - peak) * 1024 < 64 * 1024 * 1024);
});

test('a stored block that would inflate past its size stops the restore there, without inflating it', async () => {
  const { s, c } = await source();
  const leaf = s.conversations.require(c.id).activeLeafId;
  const log = s.messages.tokenLog(leaf)!;
  const first = (await planRestore(log, testCtx, s.blocks, { logger })).used;
  assert.ok(first.length >= 2);
  // a damaged or crafted block already in the database (e.g. written by an older build's import)
  const hash = asBlockHash(first[1]!);
  const data = Buffer.from(s.blocks.blockData(hash)!);
  assert.ok(blockBody(data).length > 0);
  s.blocks.replaceData(hash, withBody(data, rleBomb(4 * 1024 ** 3)), s.blocks.info(hash)!.codec);
  const peak = process.resourceUsage().maxRSS;
  const plan = await planRestore(log, testCtx, s.blocks, { logger });
  assert.deepEqual(plan.stop, { at: testCtx.blockSize, reason: 'corrupt' });
  assert.deepEqual(plan.bad, [hash]);
  assert.equal(plan.restoredTokens, testCtx.blockSize);
  assert.ok((process.resourceUsage().maxRSS - peak) * 1024 < 64 * 1024 * 1024);
});
