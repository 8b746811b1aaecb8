// Model fingerprint (DESIGN.md invariant 3): SHA-256 over the model files' bytes plus the KV layout.
// Hashing GBs takes seconds, so each file's digest is cached by path + size + mtime in a small JSON file.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { KvLayout } from '../tensor/kv-types.ts';

interface CacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}
type CacheFile = { version: 1; files: Record<string, CacheEntry> };

function loadCache(path: string | null): CacheFile {
  if (!path) return { version: 1, files: {} };
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    if (c.version === 1 && c.files && typeof c.files === 'object') return c;
  } catch {
    // missing or unreadable cache: start empty
  }
  return { version: 1, files: {} };
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface FingerprintResult {
  fingerprint: string;
  hashedFiles: number;
  cachedFiles: number;
}

/** `files` are hashed in the given order; names (not folders) enter the digest so a moved model keeps its fingerprint. */
export async function fingerprintModel(
  files: string[],
  layout: KvLayout,
  cachePath: string | null,
): Promise<FingerprintResult> {
  const cache = loadCache(cachePath);
  const outer = createHash('sha256').update('reprise-model-fingerprint-v1\n');
  let hashedFiles = 0;
  let cachedFiles = 0;
  for (const file of files) {
    const st = statSync(file);
    const hit = cache.files[file];
    let sha: string;
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
      sha = hit.sha256;
      cachedFiles++;
    } else {
      sha = await hashFile(file);
      cache.files[file] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha };
      hashedFiles++;
    }
    outer.update(`${basename(file)} ${st.size} ${sha}\n`);
  }
  outer.update(
    `kv ${layout.dtype} layers=${layout.numLayers} kvHeads=${layout.numKvHeads} headDim=${layout.headDim}\n`,
  );
  if (cachePath && hashedFiles > 0) {
    try {
      mkdirSync(dirname(cachePath), { recursive: true });
      const tmp = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(cache));
      renameSync(tmp, cachePath); // atomic replace: a crash never leaves half a cache file
    } catch {
      // The cache is an optimisation; failing to write it must not fail the load.
    }
  }
  return { fingerprint: outer.digest('hex'), hashedFiles, cachedFiles };
}
