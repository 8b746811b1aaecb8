// `models search/pull/list/rm` and `chat --model NAME` as separate processes against the hub stand-in,
// and a pull killed with SIGKILL half-way whose next run resumes from the bytes on disk.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FIXTURES_DIR } from '../../tools/fixtures/build.ts';
import { fixture } from '../main/engine/fixtures.testkit.ts';
import { fixtureRepos, HubStandIn, STAND_IN_TOKEN } from '../main/models/hub-stand-in.testkit.ts';
import { listInstalled, pullModel } from '../main/models/index.ts';

const REPO = 'reprise-test/tiny-llama-ONNX';
let hub: HubStandIn;

before(async () => {
  fixture('tiny-llama');
  fixture('tiny-llama-fp16kv');
  fixture('tiny-llama-extdata');
  hub = new HubStandIn(fixtureRepos(FIXTURES_DIR));
  await hub.start();
});
after(() => hub.stop());

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs the CLI without blocking this process's event loop (the stand-in hub lives in it). */
function cli(
  args: string[],
  o: { env?: Record<string, string>; onStderr?: (s: string, kill: () => void) => void } = {},
) {
  return new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      env: { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '', ...o.env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      o.onStderr?.(err, () => child.kill('SIGKILL'));
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test(
  'cli: models search, pull, list, chat --model NAME, rm keeps then deletes the cache',
  { timeout: 180_000 },
  async () => {
    const data = mkdtempSync(join(tmpdir(), 'reprise-cli-models-'));
    try {
      const s = await cli(['models', 'search', 'tiny', '--json']);
      assert.equal(s.code, 0, s.err);
      assert.deepEqual(
        (JSON.parse(s.out) as Array<{ repo: string }>).map((m) => m.repo),
        [REPO, 'reprise-test/tiny-llama-extdata-ONNX'],
      );

      const p = await cli(['models', 'pull', REPO, '--data', data, '--json']);
      assert.equal(p.code, 0, p.err);
      const pulled = JSON.parse(p.out) as { name: string; dir: string; variant: string };
      assert.equal(pulled.name, 'tiny-llama-ONNX-fp32');
      const progress = p.err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { event: string; bytesDone: number; bytesTotal: number });
      assert.ok(progress.length >= 2 && progress.every((e) => e.event === 'progress'));
      assert.equal(progress.at(-1)!.bytesDone, progress.at(-1)!.bytesTotal);

      const c = await cli([
        'chat',
        '--data',
        data,
        '--model',
        pulled.name,
        '--max-tokens',
        '6',
        '--json',
        'Hello there',
      ]);
      assert.equal(c.code, 0, c.err);
      assert.equal((JSON.parse(c.out) as { stats: { generated_tokens: number } }).stats.generated_tokens > 0, true);

      const l = await cli(['models', 'list', '--data', data, '--json']);
      assert.equal(l.code, 0, l.err);
      const [m] = JSON.parse(l.out) as Array<{ name: string; dir: string; last_used_at: number; kv_dtype: string }>;
      assert.equal(m?.name, pulled.name);
      assert.equal(m?.dir, pulled.dir);
      assert.ok(m!.last_used_at > 0, 'chat recorded the use');
      assert.equal(m?.kv_dtype, 'float32');

      const r1 = await cli(['models', 'rm', pulled.name, '--data', data]);
      assert.equal(r1.code, 0, r1.err);
      assert.match(
        r1.out,
        /Removed tiny-llama-ONNX-fp32[\s\S]*KV cache \(\d+ blocks, .*\) was kept[\s\S]*--with-cache/,
      );
      const r2 = await cli(['models', 'rm', pulled.name, '--data', data, '--with-cache', '--json']);
      assert.equal(r2.code, 0, r2.err);
      const dropped = JSON.parse(r2.out) as { removed: boolean; cache_blocks: number; cache_deleted: boolean };
      assert.equal(dropped.removed, false);
      assert.ok(dropped.cache_blocks > 0);
      const r3 = await cli(['models', 'rm', pulled.name, '--data', data, '--with-cache', '--json']);
      assert.equal((JSON.parse(r3.out) as { cache_blocks: number }).cache_blocks, 0, 'the cache is gone');
      assert.deepEqual(listInstalled(data), []);

      const missing = await cli(['chat', '--data', data, '--model', 'nope', 'hi']);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /Model not found[\s\S]*neither a folder nor an installed model[\s\S]*models pull/);
      const gated = await cli(['models', 'pull', 'reprise-test/gated-llama-ONNX', '--data', data]);
      assert.equal(gated.code, 1);
      assert.match(gated.err, /needs a Hugging Face token[\s\S]*401[\s\S]*HF_TOKEN/);
      // the token the app saved in this data folder's settings is the CLI's too (HF_TOKEN is empty here)
      writeFileSync(join(data, 'settings.json'), JSON.stringify({ hfToken: STAND_IN_TOKEN }));
      const info = await cli(['models', 'info', 'reprise-test/gated-llama-ONNX', '--data', data, '--json']);
      assert.equal(info.code, 0, info.err);
      const withToken = await cli(['models', 'pull', 'reprise-test/gated-llama-ONNX', '--data', data, '--json']);
      assert.equal(withToken.code, 0, withToken.err);
      assert.equal((JSON.parse(withToken.out) as { repo: string }).repo, 'reprise-test/gated-llama-ONNX');
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  },
);

test('cli: a pull killed with SIGKILL half-way resumes in the next run', { timeout: 180_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'reprise-cli-kill-'));
  const key = `${REPO}/onnx/model.onnx`;
  const size = hub.repos.get(REPO)!.files.get('onnx/model.onnx')!.data.length;
  hub.resetCounters();
  hub.throttleBytesPerSec = 256 * 1024;
  try {
    const killed = await cli(['models', 'pull', REPO, '--data', data, '--json'], {
      onStderr: (err, kill) => {
        const last = err.trim().split('\n').at(-1) ?? '';
        if (!last.startsWith('{')) return;
        const p = JSON.parse(last) as { file: string | null; bytesDone: number; bytesTotal: number };
        if (p.file === 'onnx/model.onnx' && p.bytesDone > p.bytesTotal * 0.4) kill();
      },
    });
    assert.equal(killed.code, null, 'killed by a signal');
    assert.deepEqual(listInstalled(data), [], 'a half-downloaded model is never listed');
    const firstRun = hub.served.get(key) ?? 0;
    assert.ok(firstRun > 0 && firstRun < size, `first run served ${firstRun} of ${size}`);

    hub.throttleBytesPerSec = undefined;
    const r = await pullModel({ dataDir: data, repo: REPO, hubUrl: hub.url, freeSpace: async () => 2 ** 40 });
    assert.ok(r.bytesResumed > 0);
    // Everything the killed run wrote to disk is used; only what was in flight or not yet written (at most
    // 200 ms of it at this speed) is fetched twice.
    const total = hub.served.get(key)!;
    assert.ok(total <= size + 128 * 1024, `served ${total} bytes in all for a ${size}-byte file`);
    assert.ok(r.bytesFetched < r.variant.downloadBytes);
    assert.equal(listInstalled(data)[0]?.name, 'tiny-llama-ONNX-fp32');
  } finally {
    hub.throttleBytesPerSec = undefined;
    rmSync(data, { recursive: true, force: true });
  }
});
