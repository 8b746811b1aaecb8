// A local stand-in for the Hugging Face hub's public HTTP API, for tests and the download benchmark:
// the endpoints @huggingface/hub calls (model search, repo info, recursive file tree, resolve with a 302 to
// a CDN path for LFS files, ETag / X-Linked-Etag / X-Linked-Size, Range/206, 401/403 for a gated repo,
// 404), serving repos built from our fixture model folders. It counts the body bytes it serves per file,
// and can throttle, drop a connection half-way, or flip a byte, to exercise resume and verification.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface StandInFile {
  data: Buffer;
  lfs: boolean;
  sha256: string;
  gitOid: string;
}

export interface StandInRepo {
  id: string;
  sha: string;
  gated: false | 'manual';
  downloads: number;
  likes: number;
  lastModified: string;
  tags: string[];
  pipelineTag: string;
  files: Map<string, StandInFile>;
}

export interface RepoSpec {
  id: string;
  /** Files by repo path: from a folder on disk (recursively) plus extra in-memory contents. */
  fromDir?: string;
  /** Rename files taken from fromDir: { 'onnx/model.onnx': 'onnx/model_fp16.onnx' }. */
  rename?: Record<string, string>;
  extra?: Record<string, Buffer | string>;
  gated?: boolean;
  downloads?: number;
  likes?: number;
  lastModified?: string;
  tags?: string[];
}

/** The token the stand-in accepts for gated repos. */
export const STAND_IN_TOKEN = 'hf_standin_allowed';
/** A valid token whose owner has not been granted the gated repos (the hub's 403). Any other token is invalid (401). */
export const STAND_IN_NO_ACCESS_TOKEN = 'hf_standin_no_access';

// Like the hub's default .gitattributes: weights go through LFS, text files stay in git.
const isLfs = (path: string): boolean => /\.(onnx|onnx_data(_\d+)?|bin|safetensors)$/.test(path);

function makeFile(path: string, data: Buffer): StandInFile {
  return {
    data,
    lfs: isLfs(path),
    sha256: createHash('sha256').update(data).digest('hex'),
    gitOid: createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'),
  };
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, base, out);
    else out.push(relative(base, p).split('\\').join('/'));
  }
  return out;
}

export function buildRepo(spec: RepoSpec): StandInRepo {
  const files = new Map<string, StandInFile>();
  if (spec.fromDir) {
    if (!existsSync(spec.fromDir)) throw new Error(`stand-in: no folder ${spec.fromDir}`);
    for (const path of walk(spec.fromDir)) {
      const to = spec.rename?.[path] ?? path;
      files.set(to, makeFile(to, readFileSync(join(spec.fromDir, path))));
    }
  }
  for (const [path, v] of Object.entries(spec.extra ?? {}))
    files.set(path, makeFile(path, typeof v === 'string' ? Buffer.from(v) : v));
  return {
    id: spec.id,
    sha: createHash('sha1').update(spec.id).digest('hex'),
    gated: spec.gated ? 'manual' : false,
    downloads: spec.downloads ?? 0,
    likes: spec.likes ?? 0,
    lastModified: spec.lastModified ?? '2026-01-01T00:00:00.000Z',
    tags: spec.tags ?? ['transformers.js', 'onnx', 'llama', 'text-generation'],
    pipelineTag: 'text-generation',
    files,
  };
}

export interface StandInOptions {
  /** Bytes per second for file bodies (resolve and CDN); unlimited when absent. */
  throttleBytesPerSec?: number;
}

export class HubStandIn {
  readonly repos = new Map<string, StandInRepo>();
  /** Body bytes served per "<repo>/<path>" (the Range probes of 1 byte included). */
  readonly served = new Map<string, number>();
  readonly requests: string[] = [];
  /** Flip one byte of these "<repo>/<path>" files as they are served (headers keep the true sha256). */
  readonly corrupt = new Set<string>();
  /** Destroy the connection once this many body bytes of the file went out (once). */
  dropAfter: { key: string; bytes: number } | null = null;
  /** Answer Range requests from a later byte with the whole file (200), as some proxies do (the library's
   *  `bytes=0-0` size probe is still answered). */
  ignoreRange = false;
  throttleBytesPerSec: number | undefined;
  private server: Server | null = null;
  url = '';

  constructor(repos: RepoSpec[], o: StandInOptions = {}) {
    for (const r of repos) this.repos.set(r.id, buildRepo(r));
    this.throttleBytesPerSec = o.throttleBytesPerSec;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.json(res, 500, { error: String(err) });
        else res.destroy();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** A new commit changing (or, with null, deleting) one file: the repo's sha moves on, as on the hub. */
  commitFile(repoId: string, path: string, data: Buffer | null): void {
    const r = this.repos.get(repoId)!;
    if (data) r.files.set(path, makeFile(path, data));
    else r.files.delete(path);
    r.sha = createHash('sha1')
      .update(r.sha)
      .update(path)
      .update(data ?? '')
      .digest('hex');
  }

  totalServed(prefix = ''): number {
    let n = 0;
    for (const [k, v] of this.served) if (k.startsWith(prefix)) n += v;
    return n;
  }

  resetCounters(): void {
    this.served.clear();
    this.requests.length = 0;
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const data = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': data.length,
      ...headers,
    });
    res.end(data);
  }

  /** As the hub: a token it does not know is refused with 401, whatever is asked for. */
  private refusedToken(req: IncomingMessage, res: ServerResponse): boolean {
    const auth = req.headers.authorization;
    if (!auth || [STAND_IN_TOKEN, STAND_IN_NO_ACCESS_TOKEN].some((t) => auth === `Bearer ${t}`)) return false;
    this.json(res, 401, { error: 'Invalid credentials in Authorization header' });
    return true;
  }

  /** A gated repo answers 401 without a token and 403 to a valid token without access. */
  private denied(req: IncomingMessage, res: ServerResponse, repo: StandInRepo): boolean {
    const auth = req.headers.authorization;
    if (!repo.gated) return false;
    if (auth === `Bearer ${STAND_IN_TOKEN}`) return false;
    const status = auth ? 403 : 401;
    this.json(
      res,
      status,
      {
        error: `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      },
      { 'X-Error-Code': 'GatedRepo' },
    );
    return true;
  }

  private notFound(res: ServerResponse, code: 'RepoNotFound' | 'EntryNotFound' | 'RevisionNotFound'): void {
    this.json(
      res,
      404,
      { error: code === 'EntryNotFound' ? 'Entry not found' : 'Repository not found' },
      { 'X-Error-Code': code },
    );
  }

  private info(r: StandInRepo, withSiblings: boolean): Record<string, unknown> {
    return {
      _id: `id-${r.sha.slice(0, 24)}`,
      id: r.id,
      modelId: r.id,
      private: false,
      gated: r.gated,
      pipeline_tag: r.pipelineTag,
      library_name: 'transformers.js',
      tags: r.tags,
      downloads: r.downloads,
      likes: r.likes,
      lastModified: r.lastModified,
      sha: r.sha,
      ...(withSiblings ? { siblings: [...r.files.keys()].map((rfilename) => ({ rfilename })) } : {}),
    };
  }

  private repoAt(parts: string[]): { repo: StandInRepo | undefined; rest: string[] } {
    const id = `${parts[0]}/${parts[1]}`;
    return { repo: this.repos.get(id), rest: parts.slice(2) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(
      `${req.method} ${url.pathname}${url.search}${req.headers.range ? ` range=${req.headers.range}` : ''}`,
    );
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'cdn-lfs' && this.refusedToken(req, res)) return; // CDN URLs are signed instead

    if (parts[0] === 'api' && parts[1] === 'models' && parts.length === 2) return this.search(url, res);
    if (parts[0] === 'api' && parts[1] === 'models') {
      const { repo, rest } = this.repoAt(parts.slice(2));
      if (!repo) return this.notFound(res, 'RepoNotFound');
      if (this.denied(req, res, repo)) return;
      // /api/models/{repo}, /api/models/{repo}/revision/{rev}
      if (rest.length === 0 || rest[0] === 'revision') {
        if (rest[0] === 'revision' && !this.knownRevision(repo, rest[1])) return this.notFound(res, 'RevisionNotFound');
        return this.json(res, 200, this.info(repo, true));
      }
      // /api/models/{repo}/tree/{rev}[/{path}]?recursive=
      if (rest[0] === 'tree') {
        if (!this.knownRevision(repo, rest[1])) return this.notFound(res, 'RevisionNotFound');
        return this.tree(repo, rest.slice(2).join('/'), url.searchParams.get('recursive') === 'true', res);
      }
      return this.notFound(res, 'EntryNotFound');
    }
    if (parts[0] === 'cdn-lfs') {
      const { repo, rest } = this.repoAt(parts.slice(1));
      const path = rest.slice(1).join('/');
      const f = repo?.files.get(path);
      if (!repo || !f || f.sha256 !== rest[0]) return this.notFound(res, 'EntryNotFound');
      return this.body(req, res, `${repo.id}/${path}`, f, { ETag: `"${f.sha256}"` });
    }
    // /{repo}/resolve/{rev}/{path}
    const { repo, rest } = this.repoAt(parts);
    if (!repo) return this.notFound(res, 'RepoNotFound');
    if (rest[0] !== 'resolve') return this.notFound(res, 'EntryNotFound');
    if (this.denied(req, res, repo)) return;
    if (!this.knownRevision(repo, rest[1])) return this.notFound(res, 'RevisionNotFound');
    const path = rest.slice(2).join('/');
    const f = repo.files.get(path);
    if (!f) return this.notFound(res, 'EntryNotFound');
    const linked = { 'X-Repo-Commit': repo.sha, 'Accept-Ranges': 'bytes' };
    if (f.lfs) {
      // Like the hub: a redirect to the CDN, with the LFS sha256 and size in X-Linked-* headers.
      res.writeHead(302, {
        ...linked,
        Location: `${this.url}/cdn-lfs/${repo.id}/${f.sha256}/${path}`,
        ETag: `"${f.sha256}"`,
        'X-Linked-Etag': `"${f.sha256}"`,
        'X-Linked-Size': String(f.data.length),
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    return this.body(req, res, `${repo.id}/${path}`, f, { ...linked, ETag: `"${f.gitOid}"` });
  }

  private knownRevision(repo: StandInRepo, rev: string | undefined): boolean {
    return rev === 'main' || rev === 'HEAD' || rev === repo.sha;
  }

  private search(url: URL, res: ServerResponse): void {
    const q = (url.searchParams.get('search') ?? '').toLowerCase();
    const tags = url.searchParams.getAll('filter');
    const task = url.searchParams.get('pipeline_tag');
    const sort = url.searchParams.get('sort') ?? 'downloads';
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const key = (r: StandInRepo): number =>
      sort === 'likes' ? r.likes : sort === 'lastModified' ? Date.parse(r.lastModified) : r.downloads;
    const hits = [...this.repos.values()]
      .filter((r) => r.id.toLowerCase().includes(q))
      .filter((r) => tags.every((t) => r.tags.includes(t)))
      .filter((r) => !task || r.pipelineTag === task)
      .sort((a, b) => key(b) - key(a))
      .slice(0, limit);
    this.json(
      res,
      200,
      hits.map((r) => this.info(r, false)),
    );
  }

  private tree(repo: StandInRepo, under: string, recursive: boolean, res: ServerResponse): void {
    const prefix = under ? `${under}/` : '';
    const entries: Record<string, unknown>[] = [];
    const dirs = new Set<string>();
    for (const [path, f] of [...repo.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (!path.startsWith(prefix)) continue;
      const rel = path.slice(prefix.length).split('/');
      for (let i = 1; i < rel.length; i++) {
        const d = prefix + rel.slice(0, i).join('/');
        if (!dirs.has(d) && (recursive || i === 1)) {
          dirs.add(d);
          entries.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
        }
      }
      if (!recursive && rel.length > 1) continue;
      entries.push({
        type: 'file',
        oid: f.gitOid,
        size: f.lfs ? 134 : f.data.length,
        path,
        ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: 134 } } : {}),
      });
    }
    this.json(res, 200, entries);
  }

  private async body(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    f: StandInFile,
    headers: Record<string, string>,
  ): Promise<void> {
    const size = f.data.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const asked = this.ignoreRange && req.headers.range !== 'bytes=0-0' ? undefined : req.headers.range;
    const range = asked && /^bytes=(\d*)-(\d*)$/.exec(asked);
    if (range) {
      start = range[1] ? Number(range[1]) : size - Number(range[2]);
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        res.end();
        return;
      }
      status = 206;
    }
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Content-Length': end - start + 1,
      ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let data = f.data.subarray(start, end + 1);
    if (this.corrupt.has(key)) {
      const mid = Math.floor(size / 2);
      if (mid >= start && mid <= end) {
        data = Buffer.from(data);
        data[mid - start] = data[mid - start]! ^ 0xff;
      }
    }
    const chunk = 16 * 1024;
    for (let off = 0; off < data.length; off += chunk) {
      if (res.destroyed) return;
      const piece = data.subarray(off, Math.min(off + chunk, data.length));
      const drop = this.dropAfter?.key === key ? this.dropAfter : null;
      const sent = this.served.get(key) ?? 0;
      if (drop && sent + piece.length > drop.bytes) {
        const n = Math.max(0, drop.bytes - sent);
        this.served.set(key, sent + n);
        this.dropAfter = null;
        await new Promise<void>((r) => res.write(piece.subarray(0, n), () => r()));
        res.destroy();
        return;
      }
      this.served.set(key, sent + piece.length);
      const ok = res.write(piece);
      if (!ok) await new Promise<void>((r) => res.once('drain', () => r()));
      if (this.throttleBytesPerSec)
        await new Promise((r) => setTimeout(r, (piece.length * 1000) / this.throttleBytesPerSec!));
    }
    res.end();
  }
}

/** The fixture repos the tests and the bench use, built from fixtures/models (npm run fixtures). */
export function fixtureRepos(fixturesDir: string): RepoSpec[] {
  const tiny = join(fixturesDir, 'tiny-llama');
  const config = JSON.parse(readFileSync(join(tiny, 'config.json'), 'utf8')) as Record<string, unknown>;
  // What transformers.js exports state: fp16 variants keep a float16 KV cache.
  const tjConfig = JSON.stringify(
    { ...config, 'transformers.js_config': { kv_cache_dtype: { fp16: 'float16', q4f16: 'float16' } } },
    null,
    2,
  );
  const fp16 = join(fixturesDir, 'tiny-llama-fp16kv', 'onnx', 'model.onnx');
  return [
    {
      id: 'reprise-test/tiny-llama-ONNX',
      fromDir: tiny,
      extra: {
        'config.json': tjConfig,
        'onnx/model_fp16.onnx': readFileSync(fp16),
        'README.md': '# tiny-llama\nA test model.\n',
        '.gitattributes': '*.onnx filter=lfs diff=lfs merge=lfs -text\n',
      },
      downloads: 500,
      likes: 3,
      lastModified: '2026-03-01T00:00:00.000Z',
    },
    {
      id: 'reprise-test/tiny-llama-extdata-ONNX',
      fromDir: join(fixturesDir, 'tiny-llama-extdata'),
      downloads: 200,
      likes: 9,
      lastModified: '2026-05-01T00:00:00.000Z',
    },
    { id: 'reprise-test/gated-llama-ONNX', fromDir: tiny, gated: true, downloads: 100, likes: 1 },
    {
      id: 'reprise-test/tiny-llama-safetensors',
      extra: { 'config.json': JSON.stringify(config), 'model.safetensors': Buffer.alloc(64) },
      tags: ['transformers', 'safetensors', 'llama', 'text-generation'],
      downloads: 9000,
    },
  ];
}
