import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kvContext } from '../../kv/context.ts';
import { planRestore } from '../../kv/restore.ts';
import { tokenLog } from '../../kv/synth.testkit.ts';
import { Store } from '../store.ts';
import { testCtx, writeTurn } from '../store.testkit.ts';
import { ImportError, exportBundle, exportJson, exportJsonText, exportMarkdown, importFile } from './index.ts';

const logger = { warn() {} };

async function seeded() {
  const s = Store.open(':memory:');
  const c = s.conversations.create({
    title: 'Résumé ✓',
    systemPrompt: 'Be terse.',
    sampling: { temperature: 0.5, topK: 40 },
    codec: 'exact',
    modelFingerprint: testCtx.fingerprint,
  });
  const t1 = await writeTurn(s, c.id, null, tokenLog(40, 1), [5, 6, 7], 'first question');
  const t2 = await writeTurn(s, c.id, t1.asst.id, [8, 9], [10, 11], 'second');
  await writeTurn(s, c.id, t1.asst.id, [12], [13], 'alt branch'); // sibling of t2
  s.conversations.setActiveLeaf(c.id, t2.asst.id);
  return { s, c, t2 };
}

function snapshot(s: Store) {
  return JSON.stringify({
    c: s.db.prepare('SELECT * FROM conversations ORDER BY id').all(),
    m: s.db.prepare('SELECT id, content FROM messages ORDER BY n').all(),
    b: s.db.prepare('SELECT hash, refcount FROM kv_blocks ORDER BY hash').all(),
    r: s.db.prepare('SELECT * FROM message_blocks ORDER BY message_id, block_hash').all(),
  });
}

test('Reprise JSON round-trips the whole tree, token logs and settings', async () => {
  const { s, c } = await seeded();
  const text = exportJsonText(s);
  const dst = Store.open(':memory:');
  const r = importFile(dst, Buffer.from(text));
  assert.equal(r.format, 'reprise-json');
  const nc = dst.conversations.require(r.conversationIds[0]!);
  assert.equal(nc.title, 'Résumé ✓');
  assert.equal(nc.systemPrompt, 'Be terse.');
  assert.deepEqual(nc.sampling, { temperature: 0.5, topK: 40 });
  const strip = (x: ReturnType<typeof exportJson>) =>
    x.conversations.map(({ id: _i, activeLeafId: _a, messages, ...rest }) => ({
      ...rest,
      messages: messages.map(({ id: _j, parentId: _p, ...m }) => m),
    }));
  assert.deepEqual(strip(exportJson(dst)), strip(exportJson(s, [c.id])));
  const leaf = s.conversations.require(c.id).activeLeafId;
  assert.equal(dst.messages.path(nc.activeLeafId).length, 4);
  assert.deepEqual(
    dst.messages.path(nc.activeLeafId).map((m) => m.content),
    s.messages.path(leaf).map((m) => m.content),
  );
  assert.deepEqual(dst.messages.tokenLog(nc.activeLeafId), s.messages.tokenLog(leaf));
  // importing twice gives two copies, not a clash
  importFile(dst, Buffer.from(text));
  assert.equal(dst.conversations.count(), 2);
});

test('Markdown export shows the active path', async () => {
  const { s } = await seeded();
  const md = exportMarkdown(s);
  assert.match(md, /^# Résumé ✓/);
  assert.match(md, /> \*\*System:\*\* Be terse\./);
  assert.ok(md.indexOf('first question') < md.indexOf('second'));
  assert.ok(!md.includes('alt branch'));
});

test("Markdown export: a message's own headings sit below the export's User/Assistant headings", () => {
  const s = Store.open(':memory:');
  const c = s.conversations.create({ title: 'Notes' });
  const reply = [
    '# Plan',
    '',
    'Intro text.',
    '',
    '## Step one',
    '',
    '```md',
    '# not a heading: inside code',
    '```',
    '',
    'Setext title',
    '============',
    '',
    '###### Deepest',
  ].join('\n');
  s.commitMessages(c.id, [
    { message: { conversationId: c.id, parentId: null, role: 'user', content: 'Write a plan' } },
  ]);
  s.commitMessages(c.id, [
    {
      message: {
        conversationId: c.id,
        parentId: s.conversations.require(c.id).activeLeafId,
        role: 'assistant',
        content: reply,
      },
    },
  ]);
  const md = exportMarkdown(s);
  const inCode = '# not a heading: inside code';
  const headings = md.split('\n').filter((l) => /^#{1,6} /.test(l) && l !== inCode);
  assert.deepEqual(headings, [
    '# Notes',
    '## User',
    '## Assistant',
    '### Plan',
    '#### Step one',
    '### Setext title',
    '###### Deepest',
  ]);
  assert.ok(md.includes(`\`\`\`md\n${inCode}\n\`\`\``), 'code blocks are left as they are');
  assert.ok(md.includes('Intro text.'));
});

test('bundle round-trip: blocks come along and the imported conversation resumes fully', async () => {
  const { s, c } = await seeded();
  const bundle = exportBundle(s, c.id);
  const dst = Store.open(':memory:');
  const r = importFile(dst, bundle);
  assert.equal(r.format, 'reprise-bundle');
  assert.ok(r.importedBlocks > 0);
  const nc = dst.conversations.require(r.conversationIds[0]!);
  const log = dst.messages.tokenLog(nc.activeLeafId)!;
  // the blocks are keyed with the import's cache salt: they restore into this conversation only
  assert.match(nc.cacheSalt!, /^[0-9a-f]{32}$/);
  assert.equal(nc.cacheVerifiedAt, null);
  const salted = (salt: string | null) => kvContext({ ...testCtx, salt });
  const plan = await planRestore(log, salted(nc.cacheSalt), dst.blocks, { logger });
  assert.equal(plan.restoredTokens, log.length);
  assert.equal((await planRestore(log, testCtx, dst.blocks, { logger })).restoredTokens, 0);
  // a second import gets its own salt and blocks; deleting one copy keeps the other resumable
  const r2 = importFile(dst, bundle);
  assert.equal(r2.importedBlocks, r.importedBlocks);
  dst.conversations.delete(nc.id);
  const nc2 = dst.conversations.require(r2.conversationIds[0]!);
  assert.notEqual(nc2.cacheSalt, nc.cacheSalt);
  assert.equal(
    (await planRestore(dst.messages.tokenLog(nc2.activeLeafId)!, salted(nc2.cacheSalt), dst.blocks, { logger }))
      .restoredTokens,
    log.length,
  );
});

test('ChatGPT conversations.json imports the tree, skipping system/tool/hidden nodes', () => {
  const mk = (
    id: string,
    parent: string | null,
    children: string[],
    role: string | null,
    text?: string,
    extra: Record<string, unknown> = {},
  ) => ({
    id,
    parent,
    children,
    message: role
      ? {
          author: { role },
          create_time: 1700000000.5,
          content: { content_type: 'text', parts: [text ?? ''] },
          metadata: extra,
        }
      : null,
  });
  const file = [
    {
      title: 'Trip',
      create_time: 1700000000,
      update_time: 1700000100,
      current_node: 'a2',
      mapping: {
        root: mk('root', null, ['sys'], null),
        sys: mk('sys', 'root', ['hid'], 'system', 'You are helpful'),
        hid: mk('hid', 'sys', ['u1'], 'system', '', { is_visually_hidden_from_conversation: true }),
        u1: mk('u1', 'hid', ['t1', 'a1b'], 'user', 'Plan a trip'),
        t1: mk('t1', 'u1', ['a1'], 'tool', 'search results'),
        a1: mk('a1', 't1', ['u2'], 'assistant', 'Sure!'),
        a1b: mk('a1b', 'u1', [], 'assistant', 'Alternative'),
        u2: mk('u2', 'a1', ['a2'], 'user', 'To Lyon'),
        a2: mk('a2', 'u2', [], 'assistant', 'Great choice'),
      },
    },
  ];
  const s = Store.open(':memory:');
  const r = importFile(s, Buffer.from(JSON.stringify(file)));
  assert.equal(r.format, 'chatgpt');
  const c = s.conversations.require(r.conversationIds[0]!);
  assert.equal(c.title, 'Trip');
  assert.equal(c.systemPrompt, 'You are helpful');
  assert.equal(c.createdAt, 1700000000000);
  assert.deepEqual(
    s.messages.path(c.activeLeafId).map((m) => `${m.role}:${m.content}`),
    ['user:Plan a trip', 'assistant:Sure!', 'user:To Lyon', 'assistant:Great choice'],
  );
  assert.equal(s.messages.count(c.id), 5);
  const u1 = s.messages.path(c.activeLeafId)[0]!;
  assert.equal(s.messages.children(u1.id).length, 2); // the regenerated alternative is a branch
});

test('ChatGPT image and file parts leave a placeholder where they were', () => {
  const image = {
    content_type: 'image_asset_pointer',
    asset_pointer: 'file-service://file-abc',
    width: 800,
    height: 600,
  };
  const msg = (role: string, parts: unknown[], metadata: Record<string, unknown> = {}) => ({
    author: { role },
    create_time: 1700000000,
    content: { content_type: 'multimodal_text', parts },
    metadata,
  });
  const file = [
    {
      title: 'Pictures',
      create_time: 1700000000,
      current_node: 'a2',
      mapping: {
        u1: {
          id: 'u1',
          parent: null,
          children: ['a1'],
          message: msg('user', [image, 'What is in this picture?'], {
            attachments: [
              { id: 'file-abc', name: 'cat.png', mimeType: 'image/png' },
              { id: 'file-def', name: 'notes.pdf', mimeType: 'application/pdf' },
            ],
          }),
        },
        a1: { id: 'a1', parent: 'u1', children: ['u2'], message: msg('assistant', ['A cat.']) },
        u2: { id: 'u2', parent: 'a1', children: ['a2'], message: msg('user', [image]) },
        a2: { id: 'a2', parent: 'u2', children: [], message: msg('assistant', ['Another cat.']) },
      },
    },
  ];
  const s = Store.open(':memory:');
  const c = s.conversations.require(importFile(s, Buffer.from(JSON.stringify(file))).conversationIds[0]!);
  assert.deepEqual(
    s.messages.path(c.activeLeafId).map((m) => m.content),
    ['[image]\nWhat is in this picture?\n[file: notes.pdf]', 'A cat.', '[image]', 'Another cat.'],
  );
});

test('malformed imports fail with a clear error naming the problem and leave the DB unchanged', async () => {
  const { s, c } = await seeded();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutating arbitrary JSON on purpose
  type Json = any;
  const good = JSON.parse(exportJsonText(s)) as Record<string, Json>;
  const bundle = exportBundle(s, c.id);
  const before = snapshot(s);
  const clone = () => JSON.parse(JSON.stringify(good)) as Record<string, Json>;
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty file', Buffer.alloc(0), /empty/],
    ['truncated JSON', Buffer.from(exportJsonText(s).slice(0, 200)), /not valid JSON/],
    ['a Markdown export', Buffer.from(exportMarkdown(s)), /Markdown file, which cannot be imported/],
    [
      'bad UTF-8',
      Buffer.concat([Buffer.from('{"format":"reprise","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      /UTF-8.*byte offset 25/,
    ],
    ['overlong UTF-8', Buffer.from([0x7b, 0xc0, 0xaf, 0x7d]), /UTF-8/],
    ['lone surrogate in UTF-8', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), /UTF-8/],
    ['unknown version', json({ ...clone(), version: 7 }), /version 7.*reads version 1/],
    ['wrong top-level type', json('hello'), /Unrecognized file/],
    ['empty array', json([]), /Nothing to import/],
    ['unknown format', json({ format: 'something-else' }), /Unrecognized/],
  ];
  const w1 = clone();
  w1.conversations[0].messages[1].role = 'wizard';
  cases.push(['wrong enum', json(w1), /conversations\[0\]\.messages\[1\]\.role/]);
  const w2 = clone();
  w2.conversations[0].title = 42;
  cases.push(['wrong type', json(w2), /conversations\[0\]\.title/]);
  const w3 = clone();
  w3.conversations[0].messages[0].content = 'x'.repeat(1_000_001);
  cases.push(['huge string', json(w3), /conversations\[0\]\.messages\[0\]\.content.*1000000/]);
  const w4 = clone();
  w4.conversations[0].messages[2].parentId = 'nope';
  cases.push(['dangling parent', json(w4), /messages\[2\]\.parentId.*not an earlier message/]);
  const w5 = clone();
  w5.conversations[0].messages[0].tokenIds = [1, -2, 3];
  cases.push(['negative token id', json(w5), /messages\[0\]\.tokenIds\[1\]/]);
  const w6 = clone();
  w6.conversations[0].messages[1].tokenEnd = 9999;
  cases.push(['inconsistent token log', json(w6), /tokenEnd is 9999/]);
  const w7 = clone();
  w7.conversations[0].activeLeafId = 'ghost';
  cases.push(['missing active leaf', json(w7), /activeLeafId/]);
  const w8 = clone();
  w8.conversations[0].messages.push({ ...w8.conversations[0].messages[0] });
  cases.push(['duplicate id', json(w8), /duplicate id/]);
  const w9 = clone();
  w9.conversations[0].sneaky = true;
  cases.push(['unknown key', json(w9), /sneaky/]);
  cases.push(['ChatGPT with wrong mapping type', json([{ title: 't', mapping: 'oops' }]), /ChatGPT.*mapping/]);
  // second conversation invalid: the first must not be written either
  const w10 = clone();
  w10.conversations.push({ ...clone().conversations[0], id: 'second', activeLeafId: 'ghost' });
  cases.push(['second conversation invalid', json(w10), /conversations\[1\]\.activeLeafId/]);
  // bundles
  const tampered = Buffer.from(bundle);
  tampered[tampered.length - 100] = tampered[tampered.length - 100]! ^ 1;
  cases.push(['tampered bundle block', tampered, /checksum mismatch/]);
  cases.push(['truncated bundle', bundle.subarray(0, bundle.length - 1000), /checksum mismatch|truncated/]);
  cases.push(['bundle cut inside the signature', bundle.subarray(0, 12), /truncated/]);
  const v2 = Buffer.from(bundle);
  v2.writeUInt32LE(2, 8);
  cases.push(['future bundle version', v2, /version 2/]);
  cases.push(['tampered block with re-computed file checksum', await resealed(bundle), /block 0 .*checksum/]);
  cases.push([
    'block referencing unknown message',
    reManifest(bundle, (m) => (m.blocks[0].messageIds = ['ghost'])),
    /unknown message "ghost"/,
  ]);
  cases.push([
    'block header disagreeing with manifest',
    reManifest(bundle, (m) => (m.blocks[0].start = 5)),
    /block 0 .*manifest/,
  ]);
  for (const [name, bytes, re] of cases) {
    assert.throws(
      () => importFile(s, bytes),
      (e: unknown) => {
        assert.ok(e instanceof ImportError, `${name}: expected ImportError, got ${String(e)}`);
        assert.match(`${e.title}: ${e.cause}`, re, name);
        return true;
      },
      name,
    );
    assert.equal(snapshot(s), before, `${name}: database changed`);
  }
  assert.equal(s.db.pragma('integrity_check', { simple: true }), 'ok');
});

import { createHash } from 'node:crypto';
/** Flips a byte inside block 0's payload and re-seals the file checksum: only the per-block checks can catch it. */
async function resealed(bundle: Buffer): Promise<Buffer> {
  const b = Buffer.from(bundle);
  const mlen = b.readUInt32LE(12);
  b[16 + mlen + 70] = b[16 + mlen + 70]! ^ 0xff;
  createHash('sha256')
    .update(b.subarray(0, b.length - 32))
    .digest()
    .copy(b, b.length - 32);
  return b;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- editing arbitrary JSON on purpose
function reManifest(bundle: Buffer, edit: (m: any) => void): Buffer {
  const mlen = bundle.readUInt32LE(12);
  const m = JSON.parse(bundle.subarray(16, 16 + mlen).toString('utf8'));
  edit(m);
  const mb = Buffer.from(JSON.stringify(m));
  const head = Buffer.from(bundle.subarray(0, 16));
  head.writeUInt32LE(mb.length, 12);
  const body = Buffer.concat([head, mb, bundle.subarray(16 + mlen, bundle.length - 32)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}
