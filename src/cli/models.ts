// `npm run cli -- models <search|info|pull|list|rm> …`: the model library from the command line.
// Results go to stdout (JSON with --json); download progress goes to stderr.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MODELS_USAGE } from './models-usage.ts';
import { UsageError } from './usage-error.ts';
import {
  fingerprintsOf,
  formatBytes,
  listInstalled,
  modelsDir,
  pullModel,
  removeModel,
  repoDetails,
  searchModels,
  STARTERS,
  thisMachine,
  type PullProgress,
  type SearchSort,
} from '../main/models/index.ts';
import { SettingsStore } from '../main/app/settings.ts';
import { resolveDataDir } from '../main/paths.ts';
import { DB_FILE, Store } from '../main/store/store.ts';

type Sub = (argv: string[]) => Promise<number>;

export async function runModels(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const subs: Record<string, Sub> = { search, info, pull, list, rm };
  const run = sub ? subs[sub] : undefined;
  if (!run) throw new UsageError(`models needs one of: ${Object.keys(subs).join(', ')}\n${MODELS_USAGE}`);
  return run(rest);
}

const mb = (n: number): string => formatBytes(n);

/** The hub token the app would use with this data folder: HF_TOKEN, else the one saved in its settings. */
function hubToken(data: string | undefined): string | undefined {
  return new SettingsStore(resolveDataDir(data), (m) => console.error(m)).hubToken();
}

async function search(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      sort: { type: 'string' },
      limit: { type: 'string' },
      data: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const query = positionals.join(' ');
  if (!query) {
    if (values.json) console.log(JSON.stringify(STARTERS));
    else for (const s of STARTERS) console.log(`${s.repo.padEnd(42)} ${s.label}: ${s.note}`);
    return 0;
  }
  const sort = values.sort ?? 'downloads';
  if (!['downloads', 'likes', 'updated'].includes(sort))
    throw new UsageError(`--sort must be downloads, likes or updated (got ${sort})`);
  const limit = values.limit ? Number(values.limit) : 30;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer`);
  const hits = await searchModels(query, { sort: sort as SearchSort, limit, accessToken: hubToken(values.data) });
  if (values.json) console.log(JSON.stringify(hits));
  else if (hits.length === 0) console.log(`(no ONNX text-generation models match "${query}")`);
  else
    for (const h of hits)
      console.log(
        `${h.repo.padEnd(48)} ${String(h.downloads).padStart(9)} downloads ${String(h.likes).padStart(6)} likes  ${h.updatedAt.slice(0, 10)}${h.gated ? '  (gated: needs a token)' : ''}`,
      );
  return 0;
}

async function info(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { cuda: { type: 'boolean' }, data: { type: 'string' }, json: { type: 'boolean' } },
  });
  const repo = positionals[0];
  if (!repo) throw new UsageError('models info REPO: REPO (owner/name) is required');
  const d = await repoDetails(repo, thisMachine(values.cuda ? 'cuda' : 'cpu'), {
    accessToken: hubToken(values.data),
  });
  if (values.json) {
    console.log(
      JSON.stringify({
        repo: d.repo,
        revision: d.revision,
        variants: d.variants,
        recommended: d.recommended && { variant: d.recommended.variant.name, reason: d.recommended.reason },
      }),
    );
    return 0;
  }
  for (const v of d.variants)
    console.log(
      `${d.recommended?.variant === v ? '*' : ' '} ${v.name.padEnd(10)} ${mb(v.downloadBytes).padStart(10)}  ${v.description}`,
    );
  if (d.recommended) console.log(`\n* recommended: ${d.recommended.reason}`);
  return 0;
}

async function pull(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      variant: { type: 'string' },
      name: { type: 'string' },
      data: { type: 'string' },
      cuda: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const repo = positionals[0];
  if (!repo || !repo.includes('/')) throw new UsageError('models pull REPO: REPO must be owner/name');
  const dataDir = resolveDataDir(values.data);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  const json = values.json ?? false;
  try {
    const r = await pullModel({
      dataDir,
      repo,
      accessToken: hubToken(values.data),
      variant: values.variant,
      name: values.name,
      machine: thisMachine(values.cuda ? 'cuda' : 'cpu'),
      signal: ac.signal,
      onProgress: (p) => (json ? console.error(JSON.stringify({ event: 'progress', ...p })) : showProgress(p)),
    });
    const out = {
      name: r.model.name,
      dir: r.model.dir,
      repo: r.model.repo,
      variant: r.variant.name,
      reason: r.reason,
      size_bytes: r.model.sizeBytes,
      already_installed: r.alreadyInstalled,
      fetched_bytes: r.bytesFetched,
      resumed_bytes: r.bytesResumed,
      seconds: Math.round(r.seconds * 100) / 100,
    };
    if (json) console.log(JSON.stringify(out));
    else {
      process.stderr.write('\n');
      console.log(
        r.alreadyInstalled
          ? `${r.model.name} is already installed in ${r.model.dir}`
          : `Installed ${r.model.name} (${r.variant.name}: ${r.reason}) in ${r.model.dir}\n` +
              `Chat with it: npm run cli -- chat --data ${dataDir} --model ${r.model.name} "Hello"`,
      );
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function showProgress(p: PullProgress): void {
  const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
  const speed = p.bytesPerSecond ? `${mb(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== null ? `ETA ${p.etaSeconds} s` : '';
  const line = `${String(pct).padStart(3)}% ${mb(p.bytesDone)} / ${mb(p.bytesTotal)} ${speed} ${eta} ${p.phase === 'verifying' ? 'verifying ' : ''}${p.file ?? ''}`;
  process.stderr.write(`\r${line.padEnd(100).slice(0, 100)}`);
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, json: { type: 'boolean' } } });
  const models = listInstalled(resolveDataDir(values.data));
  if (values.json) {
    console.log(
      JSON.stringify(
        models.map((m) => ({
          name: m.name,
          repo: m.repo,
          variant: m.variant,
          size_bytes: m.sizeBytes,
          context_length: m.contextLength,
          kv_dtype: m.kvDtype,
          last_used_at: m.lastUsedAt,
          dir: m.dir,
        })),
      ),
    );
  } else if (models.length === 0) console.log('(no models installed; get one with `models pull REPO`)');
  else
    for (const m of models)
      console.log(
        `${m.name.padEnd(36)} ${(m.variant ?? '-').padEnd(6)} ${mb(m.sizeBytes).padStart(10)}  ctx ${m.contextLength ?? '?'}  kv ${m.kvDtype ?? '?'}  ` +
          `${m.lastUsedAt ? `used ${new Date(m.lastUsedAt).toISOString().slice(0, 16).replace('T', ' ')}` : 'never used'}  ${m.dir}`,
      );
  return 0;
}

async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { data: { type: 'string' }, 'with-cache': { type: 'boolean' }, json: { type: 'boolean' } },
  });
  const name = positionals[0];
  if (!name) throw new UsageError('models rm NAME: NAME is required (see `models list`)');
  const dataDir = resolveDataDir(values.data);
  const installed = listInstalled(dataDir).some((m) => m.name === name);
  const fingerprints = fingerprintsOf(dataDir, join(modelsDir(dataDir), name));
  // Without the model, its cache can still be dropped later (`--with-cache` on a removed name).
  const removed = installed || !values['with-cache'] || !fingerprints.length ? removeModel(dataDir, name) : null;
  let cache = { blocks: 0, storedBytes: 0 };
  let dropped = 0;
  if (fingerprints.length && existsSync(join(dataDir, DB_FILE))) {
    const store = Store.open(dataDir);
    try {
      cache = store.blocks.usageByFingerprint(fingerprints);
      if (values['with-cache']) dropped = store.blocks.dropByFingerprint(fingerprints);
    } finally {
      store.close();
    }
  }
  if (values.json) {
    console.log(
      JSON.stringify({
        name,
        removed: removed !== null,
        freed_bytes: removed?.freedBytes ?? 0,
        cache_blocks: cache.blocks,
        cache_bytes: cache.storedBytes,
        cache_deleted: values['with-cache'] ?? false,
      }),
    );
    return 0;
  }
  if (removed) console.log(`Removed ${name} (freed ${mb(removed.freedBytes)}).`);
  if (values['with-cache'])
    console.log(`Deleted its KV cache: ${dropped} blocks, ${mb(cache.storedBytes)} freed in the database.`);
  else if (cache.blocks)
    console.log(
      `Its KV cache (${cache.blocks} blocks, ${mb(cache.storedBytes)}) was kept: conversations made with it resume without re-reading if you install it again.\n` +
        `Delete the cache too with: npm run cli -- models rm ${name} --with-cache --data ${dataDir}`,
    );
  return 0;
}
