// Runs every *.test.ts under src/, tools/ and bench/ with Node's test runner (TypeScript through tsx).
// Fixture models are generated first; the builder skips what already exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (existsSync('tools/fixtures/build.ts') && run('npm', ['run', '--silent', 'fixtures']) !== 0) process.exit(1);
let files = ['src', 'tools', 'bench'].flatMap((d) => find(d)).sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// --test-force-exit: a failed assertion can skip a test's own cleanup and leave an engine worker alive,
// which would keep the file's process (and CI) waiting forever instead of reporting the failure.
process.exit(
  run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit', ...files]),
);
