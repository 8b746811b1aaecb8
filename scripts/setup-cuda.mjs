// `npm run setup:cuda`: installs ONNX Runtime's CUDA execution provider libraries for onnxruntime-node.
// They are too large for npm, so ORT's install script fetches them from NuGet; this repo's .npmrc skips
// that by default. This re-runs it with ORT's documented flag ONNXRUNTIME_NODE_INSTALL=cuda12 (the env var
// takes precedence over the .npmrc setting). Requires CUDA 12.x and cuDNN 9.x installed on the machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const platform = `${process.platform}/${process.arch}`;

function fail(msg) {
  console.error(`\nsetup:cuda failed: ${msg}\n`);
  console.error('Reprise keeps working on the CPU; model info reports provider "cpu" and the reason.');
  process.exit(1);
}

if (platform !== 'linux/x64')
  fail(`onnxruntime-node ships downloadable CUDA provider libraries only for linux/x64 (this is ${platform}).`);

let ortDir;
try {
  ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
} catch {
  fail('onnxruntime-node is not installed; run `npm ci` first.');
}
const binDir = join(ortDir, 'bin', 'napi-v6', 'linux', 'x64');
const cudaLib = join(binDir, 'libonnxruntime_providers_cuda.so');

console.log('setup:cuda: installing the ONNX Runtime CUDA 12 execution provider for onnxruntime-node');
console.log('  running: npm rebuild onnxruntime-node  (env ONNXRUNTIME_NODE_INSTALL=cuda12)');
console.log('  source:  NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux (needs network access to api.nuget.org)');
console.log('  target: ', binDir);
console.log('  needs:   NVIDIA driver + CUDA 12.x + cuDNN 9.x runtime libraries on the library path\n');

const npmCli = process.env.npm_execpath;
const [cmd, args] = npmCli
  ? [process.execPath, [npmCli, 'rebuild', 'onnxruntime-node']]
  : ['npm', ['rebuild', 'onnxruntime-node']];
const r = spawnSync(cmd, args, {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12', npm_config_onnxruntime_node_install: 'cuda12' },
  shell: !npmCli && process.platform === 'win32',
});
if (r.error) fail(`could not run npm: ${r.error.message}`);
if (r.status !== 0) fail(`npm rebuild onnxruntime-node exited with ${r.status} (is api.nuget.org reachable?).`);
if (!existsSync(cudaLib))
  fail(
    `${cudaLib} is still missing after the rebuild: the NuGet download did not happen or did not succeed (no network, a proxy — set GLOBAL_AGENT_HTTPS_PROXY —, or an unsupported platform).`,
  );

console.log(`\nsetup:cuda: installed ${cudaLib}`);
console.log(
  'Load a model with provider "auto" or "cuda"; model info reports provider "cuda" when CUDA 12 + cuDNN 9 load,',
);
console.log('otherwise "cpu" with the loader error as the reason.');
