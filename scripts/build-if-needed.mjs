// Builds the app with electron-vite unless out/ is newer than every source file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return t;
}

export function buildIfNeeded() {
  const built = ['out/main/serve.js', 'out/main/index.js', 'out/renderer/index.html'];
  const stale =
    !built.every((f) => existsSync(f)) ||
    Math.min(...built.map((f) => statSync(f).mtimeMs)) < Math.max(newest('src'), statSync('package.json').mtimeMs);
  if (!stale) return;
  const r = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
