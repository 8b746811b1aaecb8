// Seeded, bounded import fuzzing: mutated Reprise JSON, ChatGPT and bundle files from valid seeds. Each
// must be refused with a named ImportError and the database left unchanged, or imported correctly (its
// conversations export again and re-validate; an imported bundle's blocks never restore outside their
// conversation). Prints the counts and the peak RSS (for the README's reliability section).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { kvContext } from '../../kv/context.ts';
import { planRestore } from '../../kv/restore.ts';
import { tokenLog } from '../../kv/synth.testkit.ts';
import { Store } from '../store.ts';
import { testCtx, writeTurn } from '../store.testkit.ts';
import { blockBody, packBundle, rleBomb, unpackBundle, withBody } from './bundle.testkit.ts';
import { ImportError, exportBundle, exportJsonText, importFile } from './index.ts';
import { exportConversation, parseRepriseFile } from './reprise-json.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed17); // fixed: the same files every run
const PER_FORMAT = 400; // x 3 formats
const logger = { warn() {} };

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}
type Rng = ReturnType<typeof prng>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON on purpose
type Json = any;

async function seeds() {
  const s = Store.open(':memory:');
  const c = s.conversations.create({
    title: 'Seed ✓',
    systemPrompt: 'Be terse.',
    sampling: { temperature: 0.5 },
    codec: 'exact',
    modelFingerprint: testCtx.fingerprint,
  });
  const t1 = await writeTurn(s, c.id, null, tokenLog(40, 1), [5, 6, 7], 'first question');
  const t2 = await writeTurn(s, c.id, t1.asst.id, [8, 9], [10, 11], 'second');
  await writeTurn(s, c.id, t1.asst.id, [12], [13], 'alt branch');
  s.conversations.setActiveLeaf(c.id, t2.asst.id);
  const node = (id: string, parent: string | null, children: string[], role: string | null, text = '') => ({
    id,
    parent,
    children,
    message: role
      ? { author: { role }, create_time: 1700000000.5, content: { content_type: 'text', parts: [text] }, metadata: {} }
      : null,
  });
  const chatgpt = [
    {
      title: 'Trip',
      create_time: 1700000000,
      update_time: 1700000100,
      current_node: 'a2',
      mapping: {
        root: node('root', null, ['sys'], null),
        sys: node('sys', 'root', ['u1'], 'system', 'You are helpful'),
        u1: node('u1', 'sys', ['a1', 'a1b'], 'user', 'Plan a trip'),
        a1: node('a1', 'u1', ['u2'], 'assistant', 'Sure!'),
        a1b: node('a1b', 'u1', [], 'assistant', 'Alternative'),
        u2: node('u2', 'a1', ['a2'], 'user', 'To Lyon'),
        a2: node('a2', 'u2', [], 'assistant', 'Great choice'),
      },
    },
  ];
  return {
    json: JSON.parse(exportJsonText(s)) as Json,
    chatgpt: chatgpt as Json,
    bundle: exportBundle(s, c.id),
  };
}

/** Every (parent, key) of a JSON tree, for picking where to mutate. */
function slots(v: Json, out: Array<[Json, string | number]> = [], depth = 0): Array<[Json, string | number]> {
  if (v === null || typeof v !== 'object' || depth > 12) return out;
  for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
    out.push([v, k]);
    slots(v[k], out, depth + 1);
  }
  return out;
}

function weird(r: Rng, like: Json): Json {
  switch (r.int(14)) {
    case 0:
      return null;
    case 1:
      return -1;
    case 2:
      return 2 ** 53 + r.int(9);
    case 3:
      return 4294967295;
    case 4:
      return 'x'.repeat(r.int(3) === 0 ? 1_000_001 : r.int(20));
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return typeof like === 'string' ? `${like}\u0000\ud800` : String(like);
    case 8: {
      let d: Json = 1;
      for (let i = 0, n = 1 + r.int(1500); i < n; i++) d = r.int(2) ? [d] : { a: d };
      return d;
    }
    case 9:
      return typeof like === 'number' ? like + (r.int(2) ? 1 : -1) : like;
    case 10:
      return Array.isArray(like) ? [...like, ...like] : [like];
    case 11:
      return 1.5;
    case 12:
      return true;
    default:
      return NaN; // serialized as null
  }
}

function mutateJson(r: Rng, seed: Json): Json {
  const v = structuredClone(seed);
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    const all = slots(v);
    if (!all.length) break;
    const [parent, key] = r.pick(all);
    const op = r.int(6);
    if (op === 0 && !Array.isArray(parent)) delete parent[key];
    else if (op === 1 && Array.isArray(parent) && parent.length > 1) {
      const j = r.int(parent.length);
      [parent[key as number], parent[j]] = [parent[j], parent[key as number]];
    } else if (op === 2 && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
    else if (op === 3 && !Array.isArray(parent)) parent[`${String(key)}_extra`] = weird(r, parent[key]);
    else {
      // reference-like strings point elsewhere in the file
      const strings = all.map(([p, k]) => p[k]).filter((x) => typeof x === 'string' && x.length < 80);
      parent[key] = op === 4 && strings.length ? r.pick(strings) : weird(r, parent[key]);
    }
  }
  return v;
}

function mutateBytes(r: Rng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (r.int(4)) {
    case 0:
      for (let i = 0, n = 1 + r.int(8); i < n; i++) {
        const j = r.int(out.length);
        out[j] = out[j]! ^ (1 << r.int(8));
      }
      return out;
    case 1:
      return out.subarray(0, r.int(out.length));
    case 2: {
      const at = r.int(out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.from([r.int(256), 0xff, 0x00, 0x7b]), out.subarray(at)]);
    }
    default: {
      const a = r.int(out.length);
      return Buffer.concat([out.subarray(0, a), out.subarray(a + 1 + r.int(64))]);
    }
  }
}

function reseal(b: Buffer): Buffer {
  if (b.length < 48) return b;
  const body = b.subarray(0, b.length - 32);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

async function mutateBundle(r: Rng, bundle: Buffer): Promise<Buffer> {
  const kind = r.int(5);
  if (kind === 0) return mutateBytes(r, bundle); // caught by the file checksum, mostly
  if (kind === 1) return reseal(mutateBytes(r, bundle)); // file checksum recomputed
  const { manifest, payloads } = unpackBundle(bundle);
  if (kind === 2) {
    // manifest edited, every checksum recomputed
    const m = mutateJson(r, manifest);
    if (!Array.isArray(m?.blocks)) return packBundle({ ...m, blocks: [] }, []);
    const ps = m.blocks.map((_: Json, i: number) => payloads[i % payloads.length]!);
    try {
      return packBundle(m, ps);
    } catch {
      return reseal(Buffer.concat([bundle.subarray(0, 16), Buffer.from(JSON.stringify(m)), ...ps, Buffer.alloc(32)]));
    }
  }
  // a block body altered and re-signed (checksums all valid), or swapped for a decompression bomb
  const i = r.int(payloads.length);
  const body = kind === 3 ? mutateBytes(r, blockBody(payloads[i]!)) : rleBomb(2 ** (24 + r.int(9)));
  payloads[i] = withBody(payloads[i]!, body);
  return packBundle(manifest, payloads);
}

function dump(s: Store): string {
  return JSON.stringify([
    s.db.prepare('SELECT * FROM conversations ORDER BY id').all(),
    s.db.prepare('SELECT id, content, token_ids FROM messages ORDER BY n').all(),
    s.db.prepare('SELECT hash, refcount FROM kv_blocks ORDER BY hash').all(),
    s.db.prepare('SELECT * FROM message_blocks ORDER BY message_id, block_hash').all(),
  ]);
}

test(`import fuzz: ${3 * PER_FORMAT} mutated files, each refused by name or imported correctly`, async () => {
  const r = prng(SEED);
  const seed = await seeds();
  const store = Store.open(':memory:');
  const counts: Record<string, { refused: number; imported: number }> = {};
  const codes = new Map<string, number>();
  let contained = 0;
  const formats = ['reprise-json', 'chatgpt', 'bundle'] as const;
  for (let i = 0; i < 3 * PER_FORMAT; i++) {
    const format = formats[i % 3]!;
    const bytes =
      format === 'bundle'
        ? await mutateBundle(r, seed.bundle)
        : r.int(5) === 0
          ? mutateBytes(r, Buffer.from(JSON.stringify(format === 'chatgpt' ? seed.chatgpt : seed.json)))
          : Buffer.from(JSON.stringify(mutateJson(r, format === 'chatgpt' ? seed.chatgpt : seed.json)));
    const c = (counts[format] ??= { refused: 0, imported: 0 });
    const before = dump(store);
    let ids: string[];
    try {
      ids = importFile(store, bytes).conversationIds;
    } catch (err) {
      assert.ok(err instanceof ImportError, `case ${i} (${format}): ${String((err as Error)?.stack ?? err)}`);
      assert.ok(err.title && err.cause && err.code, `case ${i}: an unnamed error`);
      assert.equal(dump(store), before, `case ${i} (${format}): refused, but the database changed`);
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      c.refused++;
      continue;
    }
    c.imported++;
    // imported correctly: it exports and re-validates, and its paths resolve
    for (const id of ids) {
      const exp = exportConversation(store, id);
      parseRepriseFile({ format: 'reprise', version: 1, exportedAt: 1, conversations: [exp] });
      const conv = store.conversations.require(id);
      store.messages.path(conv.activeLeafId);
      if (format === 'bundle') {
        const log = store.messages.tokenLog(conv.activeLeafId) ?? [];
        // the blocks restore (or stop cleanly) for their conversation, and never without its salt
        await planRestore(log, kvContext({ ...testCtx, salt: conv.cacheSalt }), store.blocks, { logger });
        assert.equal((await planRestore(log, testCtx, store.blocks, { logger })).restoredTokens, 0);
        if (conv.cacheSalt) contained++;
      }
      store.conversations.delete(id);
    }
  }
  assert.equal(store.db.pragma('integrity_check', { simple: true }), 'ok');
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const total = Object.values(counts).reduce((n, c) => n + c.refused + c.imported, 0);
  assert.ok(total >= 1000);
  assert.ok(peakMb < 2048, `peak RSS ${peakMb} MB`);
  console.log(
    `import fuzz (seed ${SEED.toString(16)}): ${total} files; ` +
      Object.entries(counts)
        .map(([f, c]) => `${f}: ${c.refused} refused, ${c.imported} imported`)
        .join('; ') +
      `; bundles imported with salted (contained) blocks: ${contained}; peak RSS ${peakMb} MB`,
  );
  console.log(`refusal codes: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`);
});
