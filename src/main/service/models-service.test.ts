import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixture } from '../engine/fixtures.testkit.ts';
import { fixtureRepos, HubStandIn, STAND_IN_TOKEN } from '../models/hub-stand-in.testkit.ts';
import { FIXTURES_DIR } from '../../../tools/fixtures/build.ts';
import type { ApiClient } from '../../shared/client.ts';
import { AppError } from '../../shared/errors.ts';
import type { PullProgressView } from '../../shared/views.ts';
import { openTestService, type TestBackend } from './service.testkit.ts';

const REPO = 'reprise-test/tiny-llama-ONNX';
const NAME = 'tiny-llama-ONNX-fp32';
let hub: HubStandIn;
let backend: TestBackend;
let client: ApiClient;
let close: () => Promise<void>;
const saved = { endpoint: process.env.HF_ENDPOINT, token: process.env.HF_TOKEN };

before(async () => {
  fixture('tiny-llama');
  fixture('tiny-llama-fp16kv');
  fixture('tiny-llama-extdata');
  hub = new HubStandIn(fixtureRepos(FIXTURES_DIR));
  process.env.HF_ENDPOINT = await hub.start();
  delete process.env.HF_TOKEN;
  ({ backend, client, close } = await openTestService());
});
after(async () => {
  await close();
  await hub.stop();
  process.env.HF_ENDPOINT = saved.endpoint;
  if (saved.token !== undefined) process.env.HF_TOKEN = saved.token;
  if (saved.endpoint === undefined) delete process.env.HF_ENDPOINT;
});

async function rejectsWithCode(p: PromiseLike<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError);
  assert.equal(err.code, code, err.message);
  return err;
}

test('search and details over the contract: variants with sizes, the recommendation and why', async () => {
  const hits = await client.call('models.search', { query: 'tiny', sort: 'likes' });
  assert.deepEqual(
    hits.map((h) => h.repo),
    ['reprise-test/tiny-llama-extdata-ONNX', REPO],
  );
  const d = await client.call('models.details', { repo: REPO });
  assert.deepEqual(d.variants.map((v) => v.name).sort(), ['fp16', 'fp32']);
  assert.ok(d.variants.every((v) => v.downloadBytes > 0));
  assert.equal(d.recommended?.variant, 'fp32');
  assert.match(d.recommended?.reason ?? '', /CPU/);
  assert.ok((await client.call('models.starters', {})).length >= 3);
});

test('a hub error keeps its code and advice across the wire', async () => {
  const err = await rejectsWithCode(
    client.call('models.details', { repo: 'reprise-test/nothing-here' }),
    'repoNotFound',
  );
  assert.ok(err.suggestion);
  // a gated repo without HF_TOKEN: the pull says a token is needed and how to get one
  const gated = await rejectsWithCode(
    client.stream('models.pull', { repo: 'reprise-test/gated-llama-ONNX' }),
    'tokenRequired',
  );
  assert.match(gated.suggestion ?? '', /HF_TOKEN/);
});

test('a pull cancelled half-way installs nothing; pulling again resumes, then the model is used and deleted with its cache', async () => {
  hub.throttleBytesPerSec = 128 * 1024;
  const first = client.stream('models.pull', { repo: REPO, variant: 'fp32' });
  const seen: PullProgressView[] = [];
  first.onProgress((p) => {
    seen.push(p);
    if (p.bytesDone > 64 * 1024) first.cancel();
  });
  await rejectsWithCode(first, 'cancelled');
  assert.ok(seen.some((p) => p.bytesTotal > 0 && p.bytesPerSecond > 0));
  assert.deepEqual((await client.call('models.installed', {})).models, []);

  hub.throttleBytesPerSec = undefined;
  const done = await client.stream('models.pull', { repo: REPO, variant: 'fp32' });
  assert.equal(done.name, NAME);
  assert.ok(done.bytesResumed > 0, 'the second pull resumed from the bytes of the first');
  const details = await client.call('models.details', { repo: REPO });
  assert.deepEqual(details.installed, { fp32: NAME });

  let lib = await client.call('models.installed', {});
  const [m] = lib.models;
  assert.equal(m?.name, NAME);
  assert.equal(m?.variant, 'fp32');
  assert.equal(m?.loaded, false);
  assert.equal(m?.lastUsedAt, null);

  const opened = await client.stream('model.open', { dir: m!.dir });
  assert.equal(opened.state, 'ready');
  const conv = await client.call('conversations.create', {});
  await client.stream('chat.send', { conversationId: conv.id, text: 'Hello' });
  lib = await client.call('models.installed', {});
  assert.equal(lib.models[0]?.loaded, true);
  assert.ok(lib.models[0]?.lastUsedAt, 'opening it recorded its use');
  assert.ok((lib.models[0]?.cacheBlocks ?? 0) > 0, 'its chat saved cache blocks under its fingerprint');
  await rejectsWithCode(client.call('models.remove', { name: NAME }), 'badArgument');

  const back = await client.stream('model.open', { dir: lib.builtInDir });
  assert.equal(back.state === 'ready' && back.model.isDefault, true);
  const removed = await client.call('models.remove', { name: NAME, withCache: true });
  assert.equal(removed.cacheDeleted, true);
  assert.equal(removed.cacheBlocks, lib.models[0]?.cacheBlocks);
  assert.ok(removed.freedBytes > 0 && removed.cacheBytes > 0);
  assert.equal(existsSync(join(backend.dataDir, 'models', NAME)), false);
  assert.deepEqual((await client.call('models.installed', {})).models, []);
  await rejectsWithCode(client.call('models.remove', { name: NAME }), 'notInstalled');
});

test("a gated repo: refused without a token (saying where to set one), pulled with the settings' token; HF_TOKEN wins", async () => {
  const GATED = 'reprise-test/gated-llama-ONNX';
  assert.deepEqual((await client.call('settings.get', {})).hfToken, { inUse: null, saved: false });
  const refused = await rejectsWithCode(
    client.stream('models.pull', { repo: GATED, variant: 'fp32' }),
    'tokenRequired',
  );
  assert.match(refused.suggestion ?? '', /Hugging Face token/, 'points to the setting');
  assert.ok(!existsSync(join(backend.dataDir, 'models', 'gated-llama-ONNX-fp32')));

  // a malformed token is refused and nothing is saved
  await rejectsWithCode(client.call('settings.update', { hfToken: 'not a token' }), 'badToken');
  assert.equal((await client.call('settings.get', {})).hfToken.saved, false);

  const s = await client.call('settings.update', { hfToken: STAND_IN_TOKEN });
  assert.deepEqual(s.hfToken, { inUse: 'settings', saved: true }, 'which token, never the token');
  assert.ok(!JSON.stringify(s).includes(STAND_IN_TOKEN));
  const r = await client.stream('models.pull', { repo: GATED, variant: 'fp32' });
  assert.equal(r.name, 'gated-llama-ONNX-fp32');
  assert.ok(existsSync(join(r.dir, 'config.json')));

  // HF_TOKEN in the environment wins over the saved one
  process.env.HF_TOKEN = 'hf_wrong_token';
  try {
    assert.equal((await client.call('settings.get', {})).hfToken.inUse, 'env');
    await rejectsWithCode(client.call('models.details', { repo: GATED }), 'tokenRequired');
  } finally {
    delete process.env.HF_TOKEN;
  }
  assert.deepEqual((await client.call('settings.update', { hfToken: null })).hfToken, { inUse: null, saved: false });
  await rejectsWithCode(client.call('models.details', { repo: GATED }), 'tokenRequired');
});
