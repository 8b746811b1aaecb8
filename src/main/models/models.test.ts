import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Engine } from '../engine/index.ts';
import { fixture } from '../engine/fixtures.testkit.ts';
import { FIXTURES_DIR } from '../../../tools/fixtures/build.ts';
import { Store } from '../store/store.ts';
import { testCtx, writeTurn } from '../store/store.testkit.ts';
import { fixtureRepos, HubStandIn, STAND_IN_NO_ACCESS_TOKEN, STAND_IN_TOKEN } from './hub-stand-in.testkit.ts';
import {
  fingerprintsOf,
  listInstalled,
  ModelError,
  pullModel,
  recentFolders,
  recommendVariant,
  recordUse,
  removeModel,
  repoDetails,
  resolveModelArg,
  searchModels,
  listVariants,
  type PullProgress,
  type RepoFile,
} from './index.ts';

const REPO = 'reprise-test/tiny-llama-ONNX';
const EXT = 'reprise-test/tiny-llama-extdata-ONNX';
const GATED = 'reprise-test/gated-llama-ONNX';
const cpu = { provider: 'cpu', memoryBytes: 16 * 2 ** 30 } as const;
const plenty = async (): Promise<number> => 2 ** 40;

let hub: HubStandIn;
let hubUrl: string;
let dataDir: string;

before(async () => {
  fixture('tiny-llama');
  fixture('tiny-llama-fp16kv');
  fixture('tiny-llama-extdata');
  fixture('tiny-llama-nopos');
  hub = new HubStandIn(fixtureRepos(FIXTURES_DIR));
  hubUrl = await hub.start();
});
after(() => hub.stop());
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'reprise-models-'));
  hub.resetCounters();
  hub.corrupt.clear();
  hub.dropAfter = null;
  hub.ignoreRange = false;
  hub.throttleBytesPerSec = undefined;
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const pull = (o: Partial<Parameters<typeof pullModel>[0]> = {}) =>
  pullModel({ dataDir, repo: REPO, hubUrl, machine: cpu, freeSpace: plenty, accessToken: undefined, ...o });

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<ModelError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ModelError, `expected a ModelError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(`${e.title} ${e.cause} ${e.suggestion}`, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const fileBytes = (repo: string, path: string): number => hub.repos.get(repo)!.files.get(path)!.data.length;
const partialDir = (name: string): string => join(dataDir, 'models', '.partial', name);

describe('hub search and repo details', () => {
  test('search lists ONNX text-generation repos by name, sorted as asked', async () => {
    const byDownloads = await searchModels('tiny', { hubUrl });
    assert.deepEqual(
      byDownloads.map((m) => m.repo),
      [REPO, EXT], // the safetensors-only repo has the most downloads but is not ONNX
    );
    assert.equal((await searchModels('gated', { hubUrl }))[0]?.gated, true);
    const byLikes = await searchModels('tiny', { hubUrl, sort: 'likes' });
    assert.deepEqual(
      byLikes.map((m) => m.repo),
      [EXT, REPO],
    );
    const recent = await searchModels('llama', { hubUrl, sort: 'updated', limit: 1 });
    assert.deepEqual(
      recent.map((m) => m.repo),
      [EXT],
    );
    assert.deepEqual(await searchModels('no-such-model', { hubUrl }), []);
    assert.ok(hub.requests.some((r) => r.includes('filter=onnx') && r.includes('pipeline_tag=text-generation')));
  });

  test('repo details list each variant with its download size and recommend one per machine', async () => {
    const d = await repoDetails(REPO, cpu, { hubUrl });
    const shared = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']
      .map((p) => fileBytes(REPO, p))
      .reduce((a, b) => a + b);
    assert.deepEqual(
      d.variants.map((v) => [v.name, v.downloadBytes]).sort(),
      [
        ['fp16', shared + fileBytes(REPO, 'onnx/model_fp16.onnx')],
        ['fp32', shared + fileBytes(REPO, 'onnx/model.onnx')],
      ].sort(),
    );
    assert.equal(d.revision, hub.repos.get(REPO)!.sha);
    assert.equal(d.recommended?.variant.name, 'fp32');
    const gpu = await repoDetails(REPO, { provider: 'cuda', memoryBytes: 2 ** 34 }, { hubUrl });
    assert.equal(gpu.recommended?.variant.name, 'fp16');
    assert.match(gpu.recommended!.reason, /CUDA/);
    const ext = await repoDetails(EXT, cpu, { hubUrl });
    assert.deepEqual(ext.variants[0]!.externalData, ['onnx/model.onnx_data']);
  });

  test('recommendation on a real repo layout: 4-bit on CPU, fp16 on CUDA, smaller when memory is short', () => {
    // onnx-community/Qwen2.5-1.5B-Instruct's onnx/ folder (sizes from its hub page, rounded).
    const MB = 2 ** 20;
    const files: RepoFile[] = [
      { path: 'config.json', size: 900 },
      { path: 'tokenizer.json', size: 7 * MB },
      { path: 'README.md', size: 5000 },
      { path: 'onnx/model.onnx', size: 1 * MB, sha256: 'a'.repeat(64) },
      { path: 'onnx/model.onnx_data', size: 6210 * MB, sha256: 'b'.repeat(64) },
      { path: 'onnx/model_fp16.onnx', size: 1 * MB, sha256: 'c'.repeat(64) },
      { path: 'onnx/model_fp16.onnx_data', size: 3100 * MB, sha256: 'd'.repeat(64) },
      { path: 'onnx/model_q4.onnx', size: 1790 * MB, sha256: 'e'.repeat(64) },
      { path: 'onnx/model_q4f16.onnx', size: 1220 * MB, sha256: 'f'.repeat(64) },
      { path: 'onnx/model_int8.onnx', size: 1580 * MB, sha256: '0'.repeat(64) },
    ];
    const v = listVariants(files);
    assert.deepEqual(
      v.map((x) => x.name),
      ['q4f16', 'int8', 'q4', 'fp16', 'fp32'],
    );
    const fp16 = v.find((x) => x.name === 'fp16')!;
    assert.deepEqual(fp16.externalData, ['onnx/model_fp16.onnx_data']);
    assert.equal(fp16.downloadBytes, 900 + 7 * MB + 1 * MB + 3100 * MB);
    assert.equal(recommendVariant(v, { provider: 'cpu', memoryBytes: 16 * 2 ** 30 })?.variant.name, 'q4');
    assert.equal(recommendVariant(v, { provider: 'cuda', memoryBytes: 16 * 2 ** 30 })?.variant.name, 'fp16');
    const small = recommendVariant(v, { provider: 'cpu', memoryBytes: 2.9 * 2 ** 30 })!;
    assert.equal(small.variant.name, 'int8');
    assert.match(small.reason, /q4 would need more than/);
  });

  test('an unknown repo is a clear 404', async () => {
    await rejectsWith(repoDetails('nobody/nothing', cpu, { hubUrl }), 'repoNotFound', /nobody\/nothing/);
  });
});

describe('pull', () => {
  test('downloads only what the variant needs, reports progress, installs atomically', async () => {
    const events: PullProgress[] = [];
    const r = await pull({ onProgress: (p) => events.push(p) });
    assert.equal(r.variant.name, 'fp32');
    assert.equal(r.alreadyInstalled, false);
    const dir = join(dataDir, 'models', 'tiny-llama-ONNX-fp32');
    assert.equal(r.model.dir, dir);
    assert.deepEqual(readdirSync(join(dir, 'onnx')), ['model.onnx']);
    assert.deepEqual(readdirSync(dir).sort(), [
      'config.json',
      'generation_config.json',
      'onnx',
      'reprise-model.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    // Neither the other variant nor README/.gitattributes went over the wire.
    for (const skipped of ['onnx/model_fp16.onnx', 'README.md', '.gitattributes'])
      assert.equal(hub.served.get(`${REPO}/${skipped}`), undefined, skipped);
    const total = r.variant.downloadBytes;
    assert.equal(r.bytesFetched, total);
    const last = events.at(-1)!;
    assert.equal(last.phase, 'done');
    assert.equal(last.bytesDone, total);
    assert.equal(last.bytesTotal, total);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.bytesDone >= events[i - 1]!.bytesDone);
    assert.ok(!existsSync(partialDir('tiny-llama-ONNX-fp32')), 'staging folder moved away');

    const [m] = listInstalled(dataDir);
    assert.equal(m?.name, 'tiny-llama-ONNX-fp32');
    assert.equal(m?.repo, REPO);
    assert.equal(m?.variant, 'fp32');
    assert.equal(m?.contextLength, 2048);
    assert.equal(m?.kvDtype, 'float32');
    assert.ok(m!.sizeBytes >= total);

    const again = await pull();
    assert.equal(again.alreadyInstalled, true);
    assert.equal(resolveModelArg(dataDir, 'tiny-llama-ONNX-fp32'), dir);
  });

  test('a requested variant: fp16 with its KV dtype from config.json', async () => {
    const r = await pull({ variant: 'model_fp16' });
    assert.equal(r.model.name, 'tiny-llama-ONNX-fp16');
    assert.equal(r.model.kvDtype, 'float16');
    await rejectsWith(pull({ variant: 'q4' }), 'noVariant', /offers .*fp16.*fp32|offers .*fp32/);
  });

  test('a pulled model with external data loads and generates like the fixture it came from', async () => {
    const r = await pull({ repo: EXT });
    assert.deepEqual(readdirSync(join(r.model.dir, 'onnx')).sort(), ['model.onnx', 'model.onnx_data']);
    const greedy = async (dir: string): Promise<number[]> => {
      const engine = await Engine.load(dir, { threads: 1, fingerprintCachePath: null });
      try {
        const g = await engine.createGenerator();
        await g.appendTokens(await engine.tokenize('Hello there, how are you?'));
        return (await g.generate({ sampling: { greedy: true }, maxTokens: 12, stopTokenIds: [] })).tokenIds;
      } finally {
        await engine.dispose();
      }
    };
    const ids = await greedy(r.model.dir);
    assert.equal(ids.length, 12);
    assert.deepEqual(ids, await greedy(fixture('tiny-llama-extdata')));
  });

  test('cancelled half-way, then resumed: bytes already on disk are not fetched again', async () => {
    hub.throttleBytesPerSec = 2 * 2 ** 20;
    const ac = new AbortController();
    const onnx = fileBytes(REPO, 'onnx/model.onnx');
    const err = await rejectsWith(
      pull({
        signal: ac.signal,
        onProgress: (p) => p.file === 'onnx/model.onnx' && p.bytesDone > p.bytesTotal / 2 && ac.abort(),
      }),
      'cancelled',
      /resume/,
    );
    assert.ok(err);
    assert.deepEqual(listInstalled(dataDir), [], 'nothing listed after a cancel');
    const partial = statSync(join(partialDir('tiny-llama-ONNX-fp32'), 'onnx/model.onnx')).size;
    assert.ok(partial > 0 && partial < onnx, `partial ${partial} of ${onnx}`);
    const firstRun = hub.served.get(`${REPO}/onnx/model.onnx`)!;

    hub.throttleBytesPerSec = undefined;
    const r = await pull();
    assert.equal(r.bytesResumed > 0, true);
    const secondRun = hub.served.get(`${REPO}/onnx/model.onnx`)! - firstRun;
    // The second run asks only for the missing range (plus the library's 1-byte probe of the file).
    assert.ok(secondRun <= onnx - partial + 1, `second run fetched ${secondRun}, ${onnx - partial} were missing`);
    assert.ok(hub.requests.some((q) => q.includes(`range=bytes=${partial}-${onnx - 1}`)));
    assert.equal(listInstalled(dataDir)[0]?.name, 'tiny-llama-ONNX-fp32');
  });

  test('a resume after the repo changed does not splice old bytes into the new file', async () => {
    hub.throttleBytesPerSec = 2 * 2 ** 20;
    const ac = new AbortController();
    await rejectsWith(
      pull({
        signal: ac.signal,
        onProgress: (p) => p.file === 'onnx/model.onnx' && p.bytesDone > p.bytesTotal / 2 && ac.abort(),
      }),
      'cancelled',
    );
    hub.throttleBytesPerSec = undefined;
    const saved = new Map(hub.repos.get(REPO)!.files);
    const newer = readFileSync(join(fixture('tiny-llama-nopos'), 'onnx', 'model.onnx'));
    const savedSha = hub.repos.get(REPO)!.sha;
    hub.commitFile(REPO, 'onnx/model.onnx', newer);
    hub.commitFile(REPO, 'generation_config.json', null); // fetched by the first run, gone from the repo now
    try {
      const before = hub.served.get(`${REPO}/onnx/model.onnx`) ?? 0;
      const r = await pull();
      assert.equal(r.model.revision, hub.repos.get(REPO)!.sha);
      assert.deepEqual(readFileSync(join(r.model.dir, 'onnx', 'model.onnx')), newer);
      // The whole new file came over the wire (plus the 1-byte probe): nothing of the old one was kept.
      assert.equal(hub.served.get(`${REPO}/onnx/model.onnx`)! - before, newer.length + 1);
      assert.ok(!existsSync(join(r.model.dir, 'generation_config.json')), 'a file the repo dropped is not installed');
    } finally {
      hub.repos.get(REPO)!.files = saved;
      hub.repos.get(REPO)!.sha = savedSha;
    }
  });

  test('a dropped connection resumes by itself from the bytes received', async () => {
    const key = `${REPO}/onnx/model.onnx`;
    const onnx = fileBytes(REPO, 'onnx/model.onnx');
    hub.dropAfter = { key, bytes: 200_000 };
    const r = await pull();
    assert.equal(r.model.name, 'tiny-llama-ONNX-fp32');
    assert.ok(hub.served.get(key)! <= onnx + 2, `served ${hub.served.get(key)} for ${onnx} bytes`);
    // The retry asked for the rest only (the 1-byte probe counts towards the 200 000 served).
    assert.ok(
      hub.requests.some((q) => q.includes(`range=bytes=199999-${onnx - 1}`)),
      hub.requests.join('\n'),
    );
  });

  test('a server that ignores Range is refused, not appended after the bytes kept; the next pull resumes', async () => {
    const key = `${REPO}/onnx/model.onnx`;
    hub.dropAfter = { key, bytes: 200_000 };
    hub.ignoreRange = true; // the resume gets the whole file with a 200
    await rejectsWith(pull({ retries: 1 }), 'network', /answered 200 to a Range request/);
    assert.deepEqual(listInstalled(dataDir), []);
    const partial = join(partialDir('tiny-llama-ONNX-fp32'), 'onnx/model.onnx');
    assert.ok(statSync(partial).size <= 200_000, 'nothing was appended to the partial file');
    hub.ignoreRange = false;
    const r = await pull();
    assert.equal(r.model.name, 'tiny-llama-ONNX-fp32'); // and its sha256 was verified
  });

  test('a corrupted byte is refused: sha256 mismatch, nothing installed, the bad file discarded', async () => {
    hub.corrupt.add(`${REPO}/onnx/model.onnx`);
    await rejectsWith(pull(), 'corrupt', /sha256 .* does not match/);
    assert.deepEqual(listInstalled(dataDir), []);
    assert.ok(!existsSync(join(dataDir, 'models', 'tiny-llama-ONNX-fp32')));
    assert.ok(!existsSync(join(partialDir('tiny-llama-ONNX-fp32'), 'onnx/model.onnx')));
    hub.corrupt.clear();
    const r = await pull();
    assert.equal(r.bytesResumed > 0, true, 'the verified small files are kept');
    assert.equal(listInstalled(dataDir).length, 1);
  });

  test('not enough disk space: refused before any file is fetched', async () => {
    const probed: string[] = [];
    const err = await rejectsWith(
      pull({
        freeSpace: async (dir) => {
          probed.push(dir);
          return 100_000;
        },
      }),
      'diskFull',
      /needs .* more, and only 97\.7 kB is free/,
    );
    assert.match(err.suggestion, /smaller variant: fp16|Free some space/);
    assert.equal(hub.totalServed(), 0);
    assert.ok(probed[0]!.startsWith(join(dataDir, 'models')));
    assert.deepEqual(listInstalled(dataDir), []);
  });

  test('a gated repo: 401 asks for a token, 403 says the token has no access, a refused token says so, the right token works', async () => {
    await rejectsWith(pull({ repo: GATED }), 'tokenRequired', /401.*gated or private[\s\S]*HF_TOKEN/);
    await rejectsWith(pull({ repo: GATED, accessToken: STAND_IN_NO_ACCESS_TOKEN }), 'tokenRequired', /403.*no access/);
    // an unknown token is refused on any repo, and the message does not call the repo gated
    for (const repo of [GATED, REPO]) {
      const e = await rejectsWith(pull({ repo, accessToken: 'hf_wrong' }), 'tokenRequired', /401.*does not accept/);
      assert.equal(e.title, 'The Hugging Face token was refused');
      assert.doesNotMatch(e.cause, /gated or private/);
    }
    await rejectsWith(
      searchModels('tiny', { hubUrl, accessToken: 'hf_wrong' }),
      'tokenRequired',
      /does not accept the token/,
    );
    await rejectsWith(pull({ repo: GATED, accessToken: 'not-a-token' }), 'badToken', /hf_/);
    const r = await pull({ repo: GATED, accessToken: STAND_IN_TOKEN });
    assert.equal(r.model.name, 'gated-llama-ONNX-fp32');
  });

  test('HF_ENDPOINT and HF_TOKEN are read from the environment', async () => {
    const saved = { e: process.env.HF_ENDPOINT, t: process.env.HF_TOKEN };
    process.env.HF_ENDPOINT = hubUrl;
    process.env.HF_TOKEN = STAND_IN_TOKEN;
    try {
      const r = await pullModel({ dataDir, repo: GATED, machine: cpu, freeSpace: plenty });
      assert.equal(r.model.repo, GATED);
    } finally {
      for (const [k, v] of [
        ['HF_ENDPOINT', saved.e],
        ['HF_TOKEN', saved.t],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

describe('library', () => {
  test('delete: the folder goes, and the cache its fingerprints hold is reported and can be dropped', async () => {
    const r = await pull();
    const fp = testCtx.fingerprint;
    recordUse(dataDir, { dir: r.model.dir, fingerprint: fp });
    assert.ok(listInstalled(dataDir)[0]!.lastUsedAt! > 0);
    assert.equal(recentFolders(dataDir)[0]?.dir, r.model.dir);
    const store = Store.open(join(dataDir, 'reprise.db'));
    try {
      const c = store.conversations.create({ title: 't' });
      await writeTurn(
        store,
        c.id,
        null,
        Array.from({ length: 40 }, (_, i) => i + 1),
        [7, 8, 9],
      );
      const before = store.blocks.usage();
      assert.ok(before.blocks > 0);

      const removed = removeModel(dataDir, r.model.name);
      assert.equal(removed.freedBytes, r.model.sizeBytes);
      assert.deepEqual(removed.fingerprints, [fp]);
      assert.deepEqual(listInstalled(dataDir), []);
      assert.ok(!existsSync(r.model.dir));
      assert.deepEqual(fingerprintsOf(dataDir, r.model.dir), [fp], 'kept for the cache question');

      assert.deepEqual(store.blocks.usageByFingerprint(removed.fingerprints), {
        storedBytes: before.storedBytes,
        blocks: before.blocks,
      });
      assert.deepEqual(store.blocks.usageByFingerprint(['0'.repeat(64)]), { storedBytes: 0, blocks: 0 });
      assert.equal(store.blocks.dropByFingerprint(removed.fingerprints), before.blocks);
      assert.equal(store.blocks.usage().blocks, 0);
      assert.equal(store.messages.count(c.id), 2, 'the conversation stays; only its cache goes');
    } finally {
      store.close();
    }
    await rejectsWith(
      Promise.resolve().then(() => removeModel(dataDir, r.model.name)),
      'notInstalled',
    );
    await rejectsWith(
      Promise.resolve().then(() => resolveModelArg(dataDir, 'nope')),
      'notInstalled',
      /models pull/,
    );
  });
});
