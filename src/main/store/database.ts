// Opening the database: refuse a newer schema before touching anything (no WAL switch, no writes),
// check its integrity, then WAL + foreign keys + migrations. The data folder is created 0700 and the
// database file kept 0600 (it holds every conversation); deleted rows are overwritten (secure_delete),
// so a deleted conversation's text does not linger in free pages.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { LATEST_VERSION, SchemaTooNewError, migrate, schemaVersion } from './migrations/index.ts';

export type Db = Database.Database;

/** `PRAGMA quick_check` found damage at start-up: say so now, not when a chat fails to open later. */
export class DatabaseDamagedError extends Error {
  readonly title = 'The Reprise database is damaged';
  override readonly cause: string;
  readonly suggestion: string;
  /** `unreadable`: SQLite cannot read the file as a database at all (its header is not one). */
  constructor(
    readonly file: string,
    problems: string[],
    unreadable = false,
  ) {
    const cause = unreadable
      ? `SQLite cannot read ${file} as a database: ${problems[0]}`
      : `SQLite's integrity check of ${file} reports: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`;
    const suggestion = unreadable
      ? 'Reprise did not modify it. Restore it from a backup, or move it aside and start again with an empty database.'
      : 'Reprise did not modify it. Export what can still be read with `npm run cli -- export --data <folder> --skip-check --out conversations.json`, then move the damaged file aside and start again (import the export into the new database).';
    super(`The Reprise database is damaged: ${cause}. ${suggestion}`);
    this.name = 'DatabaseDamagedError';
    this.cause = cause;
    this.suggestion = suggestion;
  }
}

/** Owner-only: nobody else on the machine reads the conversations. No-op where modes do not apply. */
function ownerOnly(path: string, mode: number): void {
  if (process.platform === 'win32') return;
  try {
    chmodSync(path, mode);
  } catch {
    // a file system without modes (or a file owned by someone else): nothing more we can do
  }
}

/** The page size of databases this version creates (bytes). */
const PAGE_BYTES = 65536;

export function openDatabase(file: string, o: { skipIntegrityCheck?: boolean } = {}): Db {
  if (file !== ':memory:') {
    const created = mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (created) ownerOnly(dirname(file), 0o700);
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    ownerOnly(file, 0o600); // SQLite gives its -wal and -shm files the database's mode
  }
  const db = new Database(file);
  try {
    let v: number;
    try {
      v = schemaVersion(db); // the first read of the file
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_NOTADB')
        throw new DatabaseDamagedError(file, [(err as Error).message], true);
      throw err;
    }
    if (v > LATEST_VERSION) throw new SchemaTooNewError(v, LATEST_VERSION);
    if (file !== ':memory:' && !o.skipIntegrityCheck) {
      let problems: string[];
      try {
        problems = (db.pragma('quick_check(20)') as Array<{ quick_check: string }>).map((r) => r.quick_check);
      } catch (err) {
        // damage where the check itself starts (a table's root page) stops it with SQLITE_CORRUPT
        if ((err as { code?: string }).code?.startsWith('SQLITE_CORRUPT'))
          throw new DatabaseDamagedError(file, [(err as Error).message]);
        throw err;
      }
      if (problems.length !== 1 || problems[0] !== 'ok') throw new DatabaseDamagedError(file, problems);
    }
    // 64 KB pages for a new file (SQLite applies it only before the first table; older files keep theirs):
    // a KV block is a 0.4-1.6 MB blob, and at 4 KB pages its overflow chain made inserting a 2k-token
    // history's 50 MB take ~90-105 ms against ~38 ms (issue #18; reads and deletes gain less or nothing).
    db.pragma(`page_size = ${PAGE_BYTES}`);
    db.pragma('cache_size = -8192'); // 8 MB: SQLite's default 2 MB is only 31 pages of 64 KB
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable at checkpoints, never corrupt
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('secure_delete = ON');
    // Checkpoints are the Store's job, once writes pause (store.ts). SQLite's automatic one runs inside
    // whichever commit crosses its threshold (counted in pages); at 64 MB it is only a safety net.
    db.pragma(`wal_autocheckpoint = ${Math.round(2 ** 26 / (db.pragma('page_size', { simple: true }) as number))}`);
    // KV blocks are MB-sized blobs spread over overflow-page chains: reading them through the mapped file
    // instead of a read() per page took a 2k-token restore's SQLite reads from ~52 to ~18 ms (issue #18).
    db.pragma('mmap_size = 1073741824');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
