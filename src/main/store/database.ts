// Opening the database: refuse a newer schema before touching anything (no WAL switch, no writes),
// then WAL + foreign keys + migrations.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LATEST_VERSION, SchemaTooNewError, migrate, schemaVersion } from './migrations/index.ts';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    const v = schemaVersion(db);
    if (v > LATEST_VERSION) throw new SchemaTooNewError(v, LATEST_VERSION);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable at checkpoints, never corrupt
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Checkpoints are the Store's job, once writes pause (store.ts). SQLite's automatic one runs inside
    // whichever commit crosses its threshold; at 64 MB it is only a safety net.
    db.pragma('wal_autocheckpoint = 16384');
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
