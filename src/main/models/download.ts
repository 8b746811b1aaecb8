// `pull`: downloads one variant of a hub repo into the library. Only the files that variant needs;
// progress (bytes, speed, ETA) through a callback; cancel through an AbortSignal; resume with HTTP Range
// from the partial files kept in <dataDir>/models/.partial/<name> (after a cancel, a lost connection or
// a restart); free space checked first; each LFS file verified against the hub's sha256; the finished
// folder moved into <dataDir>/models/<name> in one rename, so a half-downloaded model is never listed.
import { createHash, type Hash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { downloadFile, fileDownloadInfo, HubApiError } from '@huggingface/hub';
import { DISK_MARGIN_BYTES, formatBytes, freeSpace as defaultFreeSpace, type FreeSpaceProbe } from './disk-space.ts';
import { ModelError } from './errors.ts';
import { hubError, hubParams, type HubOptions, type HubParams } from './hub.ts';
import { findInstalled, MANIFEST, modelsDir, type InstalledModel, type Manifest } from './library.ts';
import { checkModelName, defaultModelName } from './names.ts';
import { thisMachine, type Machine } from './recommend.ts';
import { repoDetails } from './search.ts';
import { filesForVariant, normalizeVariant, type RepoFile, type Variant } from './variants.ts';

type FileDownloadInfo = NonNullable<Awaited<ReturnType<typeof fileDownloadInfo>>>;

export interface PullProgress {
  phase: 'downloading' | 'verifying' | 'done';
  /** The file being fetched (repo path), or null between files. */
  file: string | null;
  fileIndex: number;
  fileCount: number;
  /** Bytes on disk for this model, resumed ones included, out of bytesTotal. */
  bytesDone: number;
  bytesTotal: number;
  /** Bytes fetched over the network in this run. */
  bytesFetched: number;
  /** Bytes found on disk from an earlier, interrupted run. */
  bytesResumed: number;
  /** Over the last few seconds; 0 before the first bytes arrive. */
  bytesPerSecond: number;
  /** Seconds left at the current speed, or null when unknown. */
  etaSeconds: number | null;
}

export interface PullOptions extends HubOptions {
  dataDir: string;
  repo: string;
  /** q4, int8, fp16, …; default: the one recommended for this machine. */
  variant?: string | undefined;
  /** Folder name in the library; default <repo name>-<variant>. */
  name?: string | undefined;
  revision?: string | undefined;
  machine?: Machine;
  onProgress?: (p: PullProgress) => void;
  /** Free-space probe (tests inject one). */
  freeSpace?: FreeSpaceProbe;
  /** Automatic resumes after a dropped connection before giving up (default 3). */
  retries?: number;
}

export interface PullResult {
  model: InstalledModel;
  variant: Variant;
  /** Why this variant, when it was not requested. */
  reason: string;
  alreadyInstalled: boolean;
  bytesFetched: number;
  bytesResumed: number;
  seconds: number;
}

const STATE = '.pull-state.json';
const PROGRESS_EVERY_MS = 100;
/** Received bytes go to disk at least this often (or per this many bytes): a killed process loses little. */
const WRITE_BATCH = 2 ** 20;
const WRITE_EVERY_MS = 200;
/**
 * Written bytes are made durable in the background every this many bytes, while the next ones arrive: the
 * final fsync then waits for the last stretch only (one fsync at the end of 64 MB was ~100 ms here, a third
 * of the pull; bench/models.ts).
 */
const SYNC_EVERY = 16 * 2 ** 20;
const SPEED_WINDOW_MS = 3000;

interface PullState {
  repo: string;
  revision: string;
  variant: string;
  /** Files fully downloaded and verified, with the identity they were verified against. */
  done: Record<string, { size: number; sha256?: string | undefined }>;
  /** The LFS file being fetched when the run stopped: its partial bytes are resumed only if it is still that file. */
  current?: { path: string; size: number; sha256: string } | undefined;
}

export async function pullModel(o: PullOptions): Promise<PullResult> {
  const t0 = performance.now();
  const p = hubParams(o);
  const machine = o.machine ?? thisMachine();
  const details = await repoDetails(o.repo, machine, o);
  const { variant, reason } = pickVariant(details.variants, details.recommended, o.variant, o.repo);
  const name = checkModelName(o.name ?? defaultModelName(o.repo, variant.name));
  const existing = findInstalled(o.dataDir, name);
  if (existing) {
    if (existing.repo === o.repo && existing.variant === variant.name)
      return { model: existing, variant, reason, alreadyInstalled: true, bytesFetched: 0, bytesResumed: 0, seconds: 0 };
    throw new ModelError({
      code: 'alreadyInstalled',
      title: 'Name already taken',
      cause: `A different model (${existing.repo ?? 'a local folder'}${existing.variant ? `, ${existing.variant}` : ''}) is installed as "${name}".`,
      suggestion: 'Pick another name with --name, or remove the installed one with `models rm`.',
    });
  }
  const files = filesForVariant(details.files, variant);
  const staging = join(modelsDir(o.dataDir), '.partial', name);
  mkdirSync(staging, { recursive: true });
  const release = lock(staging);
  try {
    const state = loadState(staging, o.repo, details.revision, variant.name);
    // Keep partial bytes only where the file is the one we are about to fetch (same size and hash).
    let resumed = 0;
    for (const f of files) {
      const dest = join(staging, f.path);
      const prev = state.done[f.path];
      if (prev && (prev.size !== f.size || prev.sha256 !== f.sha256)) delete state.done[f.path];
      if (!existsSync(dest)) continue;
      const have = statSync(dest).size;
      const cur = state.current;
      const same = state.done[f.path] || (cur?.path === f.path && cur.size === f.size && cur.sha256 === f.sha256);
      if (have > f.size || !same)
        rmSync(dest); // not provably the same file: start it over
      else resumed += have;
    }
    // Files an earlier run fetched that this plan no longer has (the repo changed) must not be installed.
    const planned = new Set([...files.map((f) => f.path), STATE, '.lock']);
    for (const e of readdirSync(staging, { recursive: true, withFileTypes: true }))
      if (e.isFile()) {
        const rel = relative(staging, join(e.parentPath, e.name)).split(sep).join('/');
        if (!planned.has(rel)) rmSync(join(staging, rel));
      }
    const total = files.reduce((s, f) => s + f.size, 0);
    await checkSpace(o.freeSpace ?? defaultFreeSpace, staging, total - resumed, variant, details.variants);

    const meter = new Meter(total, resumed, files.length, o.onProgress);
    const todo = files
      .map((f, i) => ({ f, i }))
      .filter(({ f }) => !(state.done[f.path] && existsSync(join(staging, f.path))));
    const fetchOne = async (f: RepoFile): Promise<void> => {
      await fetchVerified(p, o, details.revision, f, join(staging, f.path), meter);
      state.done[f.path] = { size: f.size, sha256: f.sha256 };
    };
    // The small git files (config, tokenizer) all at once, beside the weights: a round trip each, not worth
    // waiting for one by one. They are never resumed from partial bytes, so they need no `current` entry.
    const small = todo.filter(({ f }) => !f.sha256);
    const smallDone = small.length
      ? settleAll(small.map(({ f }) => fetchOne(f))).then(() => saveState(staging, state))
      : Promise.resolve();
    // LFS files one at a time: the one being fetched is recorded, so its partial bytes can be resumed.
    const lfsDone = (async () => {
      for (const { f, i } of todo.filter(({ f }) => f.sha256)) {
        meter.file(f.path, i);
        state.current = { path: f.path, size: f.size, sha256: f.sha256! };
        saveState(staging, state);
        await fetchOne(f);
        state.current = undefined;
        saveState(staging, state);
      }
    })();
    await settleAll([smallDone, lfsDone]);
    meter.finish();

    const manifest: Manifest = {
      repo: o.repo,
      revision: details.revision,
      variant: variant.name,
      onnx: variant.onnx,
      files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })),
      installedAt: Date.now(),
    };
    writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest, null, 1));
    rmSync(join(staging, STATE), { force: true });
    release();
    const final = join(modelsDir(o.dataDir), name);
    renameSync(staging, final); // the one step that makes the model visible
    const model = findInstalled(o.dataDir, name)!;
    return {
      model,
      variant,
      reason,
      alreadyInstalled: false,
      bytesFetched: meter.fetched,
      bytesResumed: resumed,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    release();
  }
}

/** Like Promise.all, but waits for every promise before failing (no fetch still writing into staging). */
async function settleAll(ps: Array<Promise<void>>): Promise<void> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function pickVariant(
  variants: Variant[],
  recommended: { variant: Variant; reason: string } | null,
  asked: string | undefined,
  repo: string,
): { variant: Variant; reason: string } {
  if (variants.length === 0)
    throw new ModelError({
      code: 'noVariant',
      title: 'No ONNX model in this repository',
      cause: `${repo} has no .onnx file at its root or in onnx/.`,
      suggestion: 'Search for ONNX exports (onnx-community/… repos usually have them) with `models search`.',
    });
  if (asked === undefined) return recommended!;
  const want = normalizeVariant(asked);
  const v = variants.find((x) => x.name === want);
  if (!v)
    throw new ModelError({
      code: 'noVariant',
      title: `No ${want} variant`,
      cause: `${repo} offers ${variants.map((x) => x.name).join(', ')}.`,
      suggestion: `Pick one of those with --variant (recommended here: ${recommended?.variant.name}).`,
    });
  return { variant: v, reason: 'requested' };
}

async function checkSpace(probe: FreeSpaceProbe, dir: string, need: number, v: Variant, all: Variant[]): Promise<void> {
  const free = await probe(dir);
  if (free >= need + DISK_MARGIN_BYTES) return;
  const smaller = all
    .filter((x) => x.downloadBytes < v.downloadBytes)
    .map((x) => `${x.name} (${formatBytes(x.downloadBytes)})`);
  throw new ModelError({
    code: 'diskFull',
    title: 'Not enough disk space',
    cause: `The ${v.name} variant needs ${formatBytes(need)} more, and only ${formatBytes(free)} is free on the disk holding ${dir} (${formatBytes(DISK_MARGIN_BYTES)} is kept spare).`,
    suggestion: `Free some space and try again${smaller.length ? `, or choose a smaller variant: ${smaller.join(', ')}` : ''}. Nothing was downloaded.`,
  });
}

/** Downloads (or finishes) one file, then checks its size and, for LFS files, its sha256. */
async function fetchVerified(
  p: HubParams,
  o: PullOptions,
  revision: string,
  f: RepoFile,
  dest: string,
  meter: Meter,
): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  const retries = o.retries ?? 3;
  let got: string | null;
  for (let attempt = 0; ; attempt++) {
    try {
      got = await fetchRest(p, o, revision, f, dest, meter);
      break;
    } catch (err) {
      const e = hubError(err, `${o.repo}/${f.path}`, o.signal, p.accessToken !== undefined);
      const transient = e instanceof ModelError && e.code === 'network' && !(err instanceof HubApiError);
      if (!transient || attempt >= retries) throw e;
      await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
    }
  }
  const size = statSync(dest).size;
  if (size !== f.size) {
    rmSync(dest);
    throw corrupt(o.repo, f.path, `${size} bytes arrived, the hub lists ${f.size}`);
  }
  if (f.sha256 && got !== f.sha256) {
    rmSync(dest); // bad bytes must not be resumed from
    throw corrupt(o.repo, f.path, `sha256 ${got?.slice(0, 12)}… does not match the hub's ${f.sha256.slice(0, 12)}…`);
  }
}

/** Fetches the missing tail of one file; returns the sha256 of the whole file when it is an LFS file. */
async function fetchRest(
  p: HubParams,
  o: PullOptions,
  revision: string,
  f: RepoFile,
  dest: string,
  meter: Meter,
): Promise<string | null> {
  const have = existsSync(dest) ? statSync(dest).size : 0;
  // The bytes already on disk enter the hash first; the rest is hashed as it arrives (no second read).
  // (Hashing in a worker thread was tried: no faster here, where the 2 cores are busy anyway.)
  const hash = f.sha256 ? createHash('sha256') : null;
  if (hash && have > 0) {
    meter.phase('verifying');
    for await (const c of createReadStream(dest, { start: 0, end: have - 1, highWaterMark: 4 << 20 }))
      hash.update(c as Buffer);
    meter.phase('downloading');
  }
  if (have < f.size) await fetchTail(p, o, revision, f, dest, have, hash, meter);
  return hash ? hash.digest('hex') : null;
}

async function fetchTail(
  p: HubParams,
  o: PullOptions,
  revision: string,
  f: RepoFile,
  dest: string,
  have: number,
  hash: Hash | null,
  meter: Meter,
): Promise<void> {
  const info = await fileDownloadInfo({ ...p, repo: o.repo, path: f.path, revision });
  if (!info)
    throw new ModelError({
      code: 'fileMissing',
      title: 'File missing on the hub',
      cause: `${o.repo} lists ${f.path}, but the hub does not serve it.`,
      suggestion: 'The repository may be changing right now; try again in a few minutes.',
    });
  // For LFS files the hub's X-Linked-Etag (or the CDN's ETag) is the sha256 the tree listed.
  const etag = info.etag.replace(/^W\//, '').replace(/"/g, '');
  if (f.sha256 && /^[0-9a-f]{64}$/.test(etag) && etag !== f.sha256)
    throw corrupt(
      o.repo,
      f.path,
      `the hub's ETag ${etag.slice(0, 12)}… differs from the listed sha256 ${f.sha256.slice(0, 12)}…`,
    );
  const body = await openBody(p, o, revision, f, info, have);
  const fh = await open(dest, 'a');
  let received = have;
  // Network chunks are small (16-64 kB): each is hashed as it arrives (SHA-NI makes that cheap) and they go
  // to disk in batches with one writev (no copy into a joined buffer), one write in flight while the next
  // batch arrives.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let flushedAt = performance.now();
  let writing: Promise<unknown> = Promise.resolve();
  let unsynced = 0;
  let syncing: Promise<unknown> = Promise.resolve();
  let syncBusy = false;
  const flush = async (): Promise<void> => {
    flushedAt = performance.now();
    if (!pendingBytes) return;
    const batch = pending;
    unsynced += pendingBytes;
    pending = [];
    pendingBytes = 0;
    await writing;
    writing = fh.writev(batch);
    if (unsynced >= SYNC_EVERY && !syncBusy) {
      unsynced = 0;
      syncBusy = true;
      syncing = writing.then(() => fh.datasync()).finally(() => (syncBusy = false));
      syncing.catch(() => undefined); // awaited (and its error thrown) after the last write, not here
    }
  };
  try {
    for await (const chunk of body) {
      if (received + chunk.length > f.size) throw new Error(`the hub sent more than ${f.size} bytes`);
      hash?.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      received += chunk.length;
      if (pendingBytes >= WRITE_BATCH || performance.now() - flushedAt > WRITE_EVERY_MS) await flush();
      meter.add(chunk.length);
    }
    await flush();
    await writing;
    await syncing;
    await fh.sync(); // durable before the folder is moved into the library
  } catch (err) {
    await writing.catch(() => undefined);
    await syncing.catch(() => undefined);
    await flush(); // every byte received is kept for the resume
    await writing;
    // Stream errors from the library arrive as bare strings; give them a type hubError can classify.
    throw typeof err === 'string' ? new Error(err) : err;
  } finally {
    await fh.close();
  }
}

/**
 * The bytes of one file from the first missing one. The library resolved the file (`fileDownloadInfo`: URL,
 * size, ETag, Xet or not); a plain file is then read with the same GET its Blob would send (Range from the
 * first missing byte, the token), but straight from the response body: the library's `Blob.stream()` pipes
 * that body through an extra TransformStream, which cost twice the CPU and 2.5× the time per file here
 * (bench/models.ts; README "Getting models"). Xet-stored files go through the library's own Blob.
 */
async function openBody(
  p: HubParams,
  o: PullOptions,
  revision: string,
  f: RepoFile,
  info: FileDownloadInfo,
  have: number,
): Promise<AsyncIterable<Uint8Array>> {
  if (info.xet) {
    const blob = await downloadFile({ ...p, repo: o.repo, path: f.path, revision, downloadInfo: info });
    if (!blob) throw new Error(`no content for ${f.path}`);
    return (have > 0 ? blob.slice(have) : blob).stream() as unknown as AsyncIterable<Uint8Array>;
  }
  const headers: Record<string, string> = {};
  if (have > 0) headers.Range = `bytes=${have}-${f.size - 1}`;
  if (p.accessToken) headers.Authorization = `Bearer ${p.accessToken}`;
  const res = await p.fetch(info.url, { headers });
  if (!res.ok) {
    await res.body?.cancel();
    throw new HubApiError(res.url, res.status, res.headers.get('X-Request-Id') ?? undefined, `HTTP ${res.status}`);
  }
  // a server that ignores Range would send the whole file again, to be appended after the bytes we have
  if (have > 0 && res.status !== 206) {
    await res.body?.cancel();
    throw new Error(`the server answered ${res.status} to a Range request for ${f.path}`);
  }
  if (!res.body) throw new Error(`no content for ${f.path}`);
  return res.body as unknown as AsyncIterable<Uint8Array>;
}

function corrupt(repo: string, path: string, why: string): ModelError {
  return new ModelError({
    code: 'corrupt',
    title: 'Download failed verification',
    cause: `${repo}/${path}: ${why}. The file was discarded and nothing was installed.`,
    suggestion:
      'Run the download again; if it fails the same way, the mirror (HF_ENDPOINT) or a proxy is altering files.',
  });
}

function loadState(staging: string, repo: string, revision: string, variant: string): PullState {
  try {
    const s = JSON.parse(readFileSync(join(staging, STATE), 'utf8')) as PullState;
    if (s.repo === repo && s.variant === variant && s.done && typeof s.done === 'object')
      return { ...s, revision, done: s.revision === revision ? s.done : keepLfs(s.done) };
  } catch {
    // no state yet: a fresh download
  }
  return { repo, revision, variant, done: {} };
}

/** After the repo moved on, only content-addressed (sha256) files can still be trusted as done. */
function keepLfs(done: PullState['done']): PullState['done'] {
  return Object.fromEntries(Object.entries(done).filter(([, v]) => v.sha256));
}

function saveState(staging: string, s: PullState): void {
  const tmp = join(staging, `${STATE}.tmp`);
  writeFileSync(tmp, JSON.stringify(s));
  renameSync(tmp, join(staging, STATE));
}

/** One pull per staging folder at a time; a lock left by a dead process is taken over. */
function lock(staging: string): () => void {
  const file = join(staging, '.lock');
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid && alive(pid))
      throw new ModelError({
        code: 'alreadyInstalled',
        title: 'Already downloading',
        cause: `Another Reprise process (pid ${pid}) is downloading into ${staging}.`,
        suggestion: 'Wait for it to finish, or stop it first.',
      });
  } catch (e) {
    if (e instanceof ModelError) throw e;
  }
  writeFileSync(file, String(process.pid));
  let held = true;
  return () => {
    if (held) rmSync(file, { force: true });
    held = false;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Progress bookkeeping: bytes, a sliding-window speed, ETA; reports at most every 100 ms. */
class Meter {
  fetched = 0;
  private done: number;
  private current: string | null = null;
  private index = 0;
  private stage: PullProgress['phase'] = 'downloading';
  private last = 0;
  private readonly samples: Array<[number, number]> = [];

  constructor(
    private readonly total: number,
    private readonly resumed: number,
    private readonly count: number,
    private readonly report?: (p: PullProgress) => void,
  ) {
    this.done = resumed;
  }

  file(path: string, index: number): void {
    this.current = path;
    this.index = index;
    this.emit(true);
  }

  phase(p: PullProgress['phase']): void {
    this.stage = p;
    this.emit(true);
  }

  add(n: number): void {
    this.fetched += n;
    this.done += n;
    this.emit(false);
  }

  finish(): void {
    this.stage = 'done';
    this.current = null;
    this.emit(true);
  }

  private emit(force: boolean): void {
    if (!this.report) return;
    const now = performance.now();
    if (!force && now - this.last < PROGRESS_EVERY_MS) return;
    this.last = now;
    this.samples.push([now, this.fetched]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > SPEED_WINDOW_MS) this.samples.shift();
    const [t0, b0] = this.samples[0]!;
    const speed = now > t0 ? ((this.fetched - b0) * 1000) / (now - t0) : 0;
    this.report({
      phase: this.stage,
      file: this.current,
      fileIndex: this.index,
      fileCount: this.count,
      bytesDone: this.done,
      bytesTotal: this.total,
      bytesFetched: this.fetched,
      bytesResumed: this.resumed,
      bytesPerSecond: Math.round(speed),
      etaSeconds: speed > 0 ? Math.ceil((this.total - this.done) / speed) : null,
    });
  }
}
