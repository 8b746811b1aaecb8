// Malformed files that used to import wrongly or fail with the wrong words: each is refused with an error
// that names the real problem (or, for an unknown current node, imported with a sensible leaf), and a
// refusal leaves the database unchanged.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Store } from '../store.ts';
import { ImportError, LIMITS, importFile } from './index.ts';

const dump = (s: Store) =>
  JSON.stringify([
    s.db.prepare('SELECT id, title FROM conversations ORDER BY id').all(),
    s.db.prepare('SELECT id FROM messages ORDER BY id').all(),
  ]);

function refuses(bytes: Uint8Array, code: string, re: RegExp) {
  const s = Store.open(':memory:');
  const before = dump(s);
  assert.throws(
    () => importFile(s, bytes),
    (e: unknown) => {
      assert.ok(e instanceof ImportError, String(e));
      assert.equal(e.code, code, `${e.code}: ${e.cause}`);
      assert.match(`${e.title}: ${e.cause}`, re);
      return true;
    },
  );
  assert.equal(dump(s), before);
}

const node = (id: string, parent: string | null, children: string[], role: string | null, text = 'hi') => ({
  id,
  parent,
  children,
  message: role ? { author: { role }, content: { content_type: 'text', parts: [text] } } : null,
});
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('ChatGPT files with no root or duplicate node ids are refused with a named error', () => {
  // every node has a parent: a cycle, no root
  refuses(
    json([{ title: 't', mapping: { a: node('a', 'b', ['b'], 'user'), b: node('b', 'a', ['a'], 'assistant') } }]),
    'importChatgptTree',
    /conversation 0: no root node/,
  );
  // two mapping entries holding the same node id
  refuses(
    json([{ title: 't', mapping: { a: node('a', null, ['b'], 'user'), b: node('a', 'a', [], 'assistant') } }]),
    'importChatgptTree',
    /node "b" has the id "a"/,
  );
  // nothing but hidden/tool nodes
  refuses(json([{ title: 't', mapping: { a: node('a', null, [], 'tool') } }]), 'importEmpty', /holds a text message/);
});

test('a ChatGPT conversation whose current_node is unknown opens on its last branch', () => {
  const s = Store.open(':memory:');
  const file = [
    {
      title: 't',
      current_node: 'nowhere',
      mapping: {
        r: node('r', null, ['u'], null),
        u: node('u', 'r', ['a'], 'user', 'Question'),
        a: node('a', 'u', [], 'assistant', 'Answer'),
      },
    },
  ];
  const c = s.conversations.require(importFile(s, json(file)).conversationIds[0]!);
  assert.deepEqual(
    s.messages.path(c.activeLeafId).map((m) => m.content),
    ['Question', 'Answer'],
  );
});

test('ChatGPT times no Date can hold fall back instead of being stored (found by the import fuzz test)', () => {
  const s = Store.open(':memory:');
  const u = node('u', null, [], 'user', 'Question');
  (u.message as { create_time?: number }).create_time = 1e300;
  const id = importFile(s, json([{ title: 't', create_time: 1e20, mapping: { u } }])).conversationIds[0]!;
  const c = s.conversations.require(id);
  assert.ok(c.createdAt <= Date.now());
  assert.ok(s.messages.path(c.activeLeafId)[0]!.createdAt <= Date.now());
});

test('deeply nested turn statistics are refused as such, not with a stack overflow', () => {
  const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
  const file = `{"format":"reprise","version":1,"exportedAt":1,"conversations":[{"id":"c","title":"t","createdAt":1,"updatedAt":1,"activeLeafId":"m","messages":[{"id":"m","parentId":null,"role":"user","content":"hi","createdAt":1,"stats":${deep}}]}]}`;
  refuses(Buffer.from(file), 'importSchema', /messages\[0\]\.stats: is nested more than 8 levels deep/);
});

function bundleWithManifestLength(mlen: number, fileBody: number): Buffer {
  const head = Buffer.alloc(16);
  head.write('RPRSBNDL', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(mlen, 12);
  const body = Buffer.concat([head, Buffer.alloc(fileBody, 0x20)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

test('the manifest limit and a manifest longer than the file are told apart', () => {
  const over = LIMITS.maxManifestBytes + 1;
  refuses(
    bundleWithManifestLength(over, over),
    'importTooLarge',
    /manifest .* is 67108865 bytes; the limit is 67108864/,
  );
  refuses(bundleWithManifestLength(5000, 100), 'importBundle', /5000-byte manifest, longer than the file/);
});
