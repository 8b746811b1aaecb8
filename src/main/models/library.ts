// The model library in <dataDir>/models: what is installed (only complete folders: downloads are staged
// in models/.partial and moved in atomically), when each was last used, recent folders, and deletion.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseConfig } from '../engine/config.ts';
import { ModelError } from './errors.ts';

export const MANIFEST = 'reprise-model.json';
const USAGE_FILE = 'usage.json';
const RECENT_LIMIT = 10;

/** Written into an installed model's folder at the end of a pull. */
export interface Manifest {
  repo: string;
  revision: string;
  variant: string;
  onnx: string;
  files: Array<{ path: string; size: number; sha256?: string | undefined }>;
  installedAt: number;
}

export interface InstalledModel {
  name: string;
  dir: string;
  /** null for a folder copied in by hand (no manifest). */
  repo: string | null;
  variant: string | null;
  revision: string | null;
  sizeBytes: number;
  contextLength: number | null;
  kvDtype: 'float32' | 'float16' | null;
  lastUsedAt: number | null;
  installedAt: number | null;
}

export interface UsageEntry {
  dir: string;
  name: string;
  lastUsedAt: number;
  /** Fingerprints the engine computed for this folder: the key of its KV blocks in the store. */
  fingerprints: string[];
}

export function modelsDir(dataDir: string): string {
  return join(resolve(dataDir), 'models');
}

function dirSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirSize(p) : e.isFile() ? statSync(p).size : 0;
  }
  return n;
}

function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

function readUsage(dataDir: string): UsageEntry[] {
  try {
    const v = JSON.parse(readFileSync(join(modelsDir(dataDir), USAGE_FILE), 'utf8')) as { entries?: UsageEntry[] };
    return Array.isArray(v.entries) ? v.entries : [];
  } catch {
    return [];
  }
}

function writeUsage(dataDir: string, entries: UsageEntry[]): void {
  const dir = modelsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${USAGE_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify({ version: 1, entries }, null, 1));
  renameSync(tmp, join(dir, USAGE_FILE));
}

/** KV dtype as transformers.js_config states it per variant (fp16 and q4f16 exports keep a float16 cache). */
function kvDtypeOf(dir: string, variant: string | null): 'float32' | 'float16' | null {
  try {
    const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const tj = (c['transformers.js_config'] ?? {}) as { kv_cache_dtype?: unknown };
    const kv = tj.kv_cache_dtype;
    const stated =
      typeof kv === 'string'
        ? kv
        : kv && typeof kv === 'object' && variant
          ? (kv as Record<string, unknown>)[variant]
          : undefined;
    if (stated === 'float16' || stated === 'float32') return stated;
    if (variant === null) return null; // a folder copied in by hand: the engine says once it loads it
    return variant === 'fp16' || variant === 'q4f16' ? 'float16' : 'float32';
  } catch {
    return null;
  }
}

function describe(dataDir: string, name: string, usage: UsageEntry[]): InstalledModel | null {
  const dir = join(modelsDir(dataDir), name);
  if (!existsSync(join(dir, 'config.json'))) return null;
  const m = readManifest(dir);
  let contextLength: number | null = null;
  try {
    contextLength = parseConfig(join(dir, 'config.json'), null).contextLength;
  } catch {
    // a damaged config still lists (so it can be deleted); the engine will say what is wrong on load
  }
  const variant = m?.variant ?? null;
  return {
    name,
    dir,
    repo: m?.repo ?? null,
    variant,
    revision: m?.revision ?? null,
    sizeBytes: dirSize(dir),
    contextLength,
    kvDtype: kvDtypeOf(dir, variant),
    lastUsedAt: usage.find((u) => u.dir === dir)?.lastUsedAt ?? null,
    installedAt: m?.installedAt ?? null,
  };
}

/** Installed models, most recently used first. Staging (.partial) and other dot-folders are never listed. */
export function listInstalled(dataDir: string): InstalledModel[] {
  const root = modelsDir(dataDir);
  if (!existsSync(root)) return [];
  const usage = readUsage(dataDir);
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => describe(dataDir, e.name, usage))
    .filter((m): m is InstalledModel => m !== null)
    .sort((a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0) || a.name.localeCompare(b.name));
}

export function findInstalled(dataDir: string, name: string): InstalledModel | null {
  if (name.startsWith('.') || name.includes('/') || name.includes('\\')) return null;
  return describe(dataDir, name, readUsage(dataDir));
}

/** `--model X`: an existing folder path, or the name of an installed model. */
export function resolveModelArg(dataDir: string, arg: string): string {
  const asPath = resolve(arg);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) return asPath;
  const m = findInstalled(dataDir, arg);
  if (m) return m.dir;
  const names = listInstalled(dataDir).map((x) => x.name);
  throw new ModelError({
    code: 'notInstalled',
    title: 'Model not found',
    cause: `"${arg}" is neither a folder nor an installed model${names.length ? ` (installed: ${names.join(', ')})` : ' (none installed yet)'}.`,
    suggestion: 'Pass a model folder, or download one with `npm run cli -- models pull REPO`.',
  });
}

/** Remembers that a folder was used (and the fingerprint the engine gave it), for "last used" and recent folders. */
export function recordUse(dataDir: string, u: { dir: string; fingerprint?: string }, now = Date.now()): void {
  const dir = resolve(u.dir);
  const entries = readUsage(dataDir);
  const old = entries.find((e) => e.dir === dir);
  const fingerprints = [...new Set([...(old?.fingerprints ?? []), ...(u.fingerprint ? [u.fingerprint] : [])])];
  const next = [{ dir, name: basename(dir), lastUsedAt: now, fingerprints }, ...entries.filter((e) => e !== old)];
  writeUsage(dataDir, next);
}

/** Model folders used recently that still exist, newest first (installed ones included). */
export function recentFolders(dataDir: string, limit = RECENT_LIMIT): UsageEntry[] {
  return readUsage(dataDir)
    .filter((e) => existsSync(e.dir))
    .sort((a, b) => b.lastUsedAt - a.lastUsedAt)
    .slice(0, limit);
}

/** Fingerprints recorded for a model folder (its KV blocks in the store carry them). */
export function fingerprintsOf(dataDir: string, dir: string): string[] {
  return readUsage(dataDir).find((e) => e.dir === resolve(dir))?.fingerprints ?? [];
}

/** The most recently used folder that still holds a model with this fingerprint (a chat's "switch to its model"). */
export function folderOf(dataDir: string, fingerprint: string): string | null {
  if (!fingerprint) return null;
  const hit = readUsage(dataDir)
    .filter((e) => e.fingerprints.includes(fingerprint) && existsSync(join(e.dir, 'config.json')))
    .sort((a, b) => b.lastUsedAt - a.lastUsedAt)[0];
  return hit?.dir ?? null;
}

export interface RemovedModel {
  name: string;
  dir: string;
  freedBytes: number;
  /** The model's fingerprints, so the caller can report and offer to delete its cache blocks. */
  fingerprints: string[];
}

/**
 * Deletes an installed model. The folder is first renamed out of the library (atomic: it is listed whole
 * or not at all), then removed. Its usage record (and so its fingerprints) is kept for the cache question.
 */
export function removeModel(dataDir: string, name: string): RemovedModel {
  const m = findInstalled(dataDir, name);
  if (!m)
    throw new ModelError({
      code: 'notInstalled',
      title: 'Model not installed',
      cause: `No installed model is named "${name}".`,
      suggestion: 'See the installed names with `npm run cli -- models list`.',
    });
  const trash = join(modelsDir(dataDir), `.deleting-${name}-${process.pid}`);
  renameSync(m.dir, trash);
  rmSync(trash, { recursive: true, force: true });
  return { name, dir: m.dir, freedBytes: m.sizeBytes, fingerprints: fingerprintsOf(dataDir, m.dir) };
}
