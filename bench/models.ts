// Download bench (DESIGN.md: models.pull_mb_s, models.pull_vs_curl_ratio). A pull of a repo with one large
// weights file from the local hub stand-in (in its own process), against `curl -L` of the same file from
// the same server in the same run, alternating reps. The pull's time includes everything a user waits
// for: repo info and file tree, every file, sha256 verification, fsync and the move into the library.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pullModel } from '../src/main/models/index.ts';
import { FIXTURES, ensureFixture } from '../tools/fixtures/build.ts';
import { median } from './stats.ts';

type Results = Record<string, number | string | boolean>;
const REPO = 'reprise-bench/big-ONNX';

export async function benchModels({ quick, log }: { quick: boolean; log: (s: string) => void }): Promise<Results> {
  for (const f of FIXTURES.filter((x) => ['tiny-llama', 'tiny-llama-fp16kv'].includes(x.name)))
    ensureFixture(f, false, () => {});
  const sizeMb = quick ? 64 : 256;
  const reps = quick ? 3 : 5;
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'models-hub.ts'), String(sizeMb)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once('line', resolve);
    server.once('exit', (c) => reject(new Error(`hub stand-in exited with ${c}`)));
  });
  const work = mkdtempSync(join(tmpdir(), 'reprise-bench-models-'));
  const hasCurl = spawnSync('curl', ['--version']).status === 0;
  const pullMbS: number[] = [];
  const curlMbS: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      if (hasCurl) {
        const out = join(work, `curl-${i}.bin`);
        const t0 = performance.now();
        const r = spawnSync('curl', ['-sSfL', '-o', out, `${url}/${REPO}/resolve/main/onnx/model.onnx_data`]);
        const s = (performance.now() - t0) / 1000;
        if (r.status !== 0) throw new Error(`curl failed: ${r.stderr.toString()}`);
        const bytes = statSync(out).size;
        rmSync(out);
        curlMbS.push(bytes / 2 ** 20 / s);
      }
      const dataDir = join(work, `pull-${i}`);
      const t0 = performance.now();
      const r = await pullModel({ dataDir, repo: REPO, hubUrl: url, variant: 'fp32' });
      const s = (performance.now() - t0) / 1000;
      pullMbS.push(r.bytesFetched / 2 ** 20 / s);
      rmSync(dataDir, { recursive: true, force: true });
      log(
        `rep ${i + 1}: pull ${pullMbS.at(-1)!.toFixed(0)} MB/s (${r.bytesFetched} bytes)` +
          (hasCurl ? `, curl ${curlMbS.at(-1)!.toFixed(0)} MB/s` : ''),
      );
    }
  } finally {
    server.stdin!.end();
    rmSync(work, { recursive: true, force: true });
  }
  const pull = median(pullMbS);
  const res: Results = { 'models.pull_mb_s': Math.round(pull * 10) / 10, 'models.pull_size_mb': sizeMb };
  if (hasCurl) {
    const curl = median(curlMbS);
    res['models.curl_mb_s'] = Math.round(curl * 10) / 10;
    res['models.pull_vs_curl_ratio'] = Math.round((pull / curl) * 1000) / 1000;
  }
  return res;
}
