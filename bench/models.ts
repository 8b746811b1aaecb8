// Download bench (DESIGN.md: models.pull_mb_s, models.pull_vs_curl_ratio). A pull of a repo with one large
// weights file from the local hub stand-in (in its own process), against `curl -L` of the same file from
// the same server in the same run, alternating reps. The pull's time includes everything a user waits
// for: repo info and file tree, every file, sha256 verification, fsync and the move into the library.
// One untimed round first (both warm: page cache, JIT, the server's first requests). CPU time is measured
// too (the pull's process, curl's as a child): on a shared machine the wall-clock ratio follows the load,
// the CPU each side spends per megabyte does much less.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pullModel } from '../src/main/models/index.ts';
import { FIXTURES, ensureFixture } from '../tools/fixtures/build.ts';
import { median } from './stats.ts';

type Results = Record<string, number | string | boolean>;
const REPO = 'reprise-bench/big-ONNX';

/** CPU ms used by this process's reaped children (curl), from /proc; null off Linux. */
function childrenCpuMs(): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, in USER_HZ (100)
}

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
  const curlDurableMbS: number[] = [];
  const pullCpuMs: number[] = [];
  const curlCpuMs: number[] = [];
  try {
    for (let i = -1; i < reps; i++) {
      const warmUp = i < 0;
      if (hasCurl) {
        const out = join(work, `curl-${i}.bin`);
        const c0 = childrenCpuMs();
        const t0 = performance.now();
        const r = spawnSync('curl', ['-sSfL', '-o', out, `${url}/${REPO}/resolve/main/onnx/model.onnx_data`]);
        const s = (performance.now() - t0) / 1000;
        if (r.status !== 0) throw new Error(`curl failed: ${r.stderr.toString()}`);
        // curl leaves its bytes in the page cache; the pull makes them durable before it installs the model.
        // curl's file fsynced afterwards is the reference that does the same (a durable write's floor).
        const fd = openSync(out, 'r+');
        fsyncSync(fd);
        closeSync(fd);
        const sDurable = (performance.now() - t0) / 1000;
        const bytes = statSync(out).size;
        rmSync(out);
        if (!warmUp) {
          curlMbS.push(bytes / 2 ** 20 / s);
          curlDurableMbS.push(bytes / 2 ** 20 / sDurable);
          if (c0 !== null) curlCpuMs.push(childrenCpuMs()! - c0);
        }
      }
      const dataDir = join(work, `pull-${i}`);
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await pullModel({ dataDir, repo: REPO, hubUrl: url, variant: 'fp32' });
      const s = (performance.now() - t0) / 1000;
      const u = process.cpuUsage(u0);
      rmSync(dataDir, { recursive: true, force: true });
      if (warmUp) continue;
      pullMbS.push(r.bytesFetched / 2 ** 20 / s);
      pullCpuMs.push((u.user + u.system) / 1000);
      log(
        `rep ${i + 1}: pull ${pullMbS.at(-1)!.toFixed(0)} MB/s, ${pullCpuMs.at(-1)!.toFixed(0)} ms CPU (${r.bytesFetched} bytes)` +
          (hasCurl
            ? `; curl ${curlMbS.at(-1)!.toFixed(0)} MB/s, ${curlCpuMs.at(-1)?.toFixed(0) ?? '?'} ms CPU,` +
              ` ${curlDurableMbS.at(-1)!.toFixed(0)} MB/s with an fsync`
            : ''),
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
    const durable = median(curlDurableMbS);
    res['models.curl_fsync_mb_s'] = Math.round(durable * 10) / 10;
    res['models.pull_vs_curl_fsync_ratio'] = Math.round((pull / durable) * 1000) / 1000;
  }
  res['models.pull_cpu_ms'] = Math.round(median(pullCpuMs));
  if (curlCpuMs.length) {
    res['models.curl_cpu_ms'] = Math.round(median(curlCpuMs));
    // >= 1 would mean the pull spends no more CPU than curl for the same bytes (it also hashes and fsyncs)
    res['models.curl_vs_pull_cpu_ratio'] = Math.round((median(curlCpuMs) / median(pullCpuMs)) * 1000) / 1000;
  }
  return res;
}
