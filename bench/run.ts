/**
 * `npm run bench [-- --quick] [-- --only engine,resume,models,quantized]`: runs every benchmark, prints a table and writes
 * bench/results/latest.json (the DESIGN.md contract). Ratios are measured side by side inside each bench.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

type Results = Record<string, number | string | boolean>;
type Bench = (opts: { quick: boolean; log: (s: string) => void }) => Promise<Results>;

const benches: Record<string, () => Promise<Bench>> = {
  engine: async () => (await import('./engine.ts')).benchEngine,
  long: async () => (await import('./long-context.ts')).benchLongContext,
  kv: async () => (await import('./kv-stages.ts')).benchKvStages,
  resume: async () => (await import('./resume.ts')).benchResume,
  api: async () => (await import('./api.ts')).benchApi,
  models: async () => (await import('./models.ts')).benchModels,
  quantized: async () => (await import('./quantized.ts')).benchQuantized,
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
  const quick = values.quick ?? false;
  const only = values.only?.split(',') ?? Object.keys(benches);
  const results: Results = {};
  const started = Date.now();
  for (const name of only) {
    const load = benches[name];
    if (!load) throw new Error(`unknown bench ${name}; known: ${Object.keys(benches).join(', ')}`);
    const t0 = Date.now();
    console.log(`== ${name}${quick ? ' (quick)' : ''}`);
    Object.assign(results, await (await load())({ quick, log: (s) => console.log(`   ${s}`) }));
    console.log(`   done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const meta = {
    date: new Date().toISOString(),
    quick,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    node: process.versions.node,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ ...results, meta }, null, 2) + '\n');
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  console.log(
    '\n' +
      Object.entries(results)
        .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'number' ? fmt(v) : String(v)}`)
        .join('\n'),
  );
  console.log(`\nwrote bench/results/latest.json (${meta.seconds} s)`);
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
