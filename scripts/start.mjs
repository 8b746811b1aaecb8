// `npm start`: the desktop app when Electron's binary can start, otherwise browser mode, said in one line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfNeeded } from './build-if-needed.mjs';

function electronBinary() {
  // Read electron's path.txt ourselves: require('electron') would try to download the binary.
  const dir = join('node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(
      process.env.ELECTRON_OVERRIDE_DIST_PATH,
      existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron',
    );
    return existsSync(p) ? p : null;
  }
  if (!existsSync(pathFile)) return null;
  const p = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(p) ? p : null;
}

function electronStarts(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15000 });
  return r.status === 0;
}

buildIfNeeded();
const args = process.argv.slice(2);
const bin = electronBinary();
if (bin && electronStarts(bin)) {
  const child = spawn(bin, ['.', ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    bin
      ? "Electron's binary is installed but cannot start here (no display?); starting browser mode instead."
      : "Electron's binary is not installed (run `npx install-electron` where downloads work); starting browser mode instead.",
  );
  const child = spawn(process.execPath, ['out/main/serve.js', ...args], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
