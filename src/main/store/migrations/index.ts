import type { Database } from 'better-sqlite3';
import { m001 } from './001-conversations.ts';
import { m002 } from './002-kv-blocks.ts';
import { m003 } from './003-search.ts';
import { m004 } from './004-cache-origin.ts';
import { m005 } from './005-fts-secure-delete.ts';
import { m006 } from './006-api-entries.ts';
import { m007 } from './007-fp16-codec.ts';
import { m008 } from './008-block-files.ts';
import type { Migration } from './types.ts';

export type { Migration } from './types.ts';
export const migrations: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008];
export const LATEST_VERSION = migrations.length;

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `This database was written by a newer version of Reprise (schema version ${found}; this build understands up to ${supported}). ` +
        'It was not modified. Update Reprise, or choose another data directory.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies pending migrations, each in its own transaction together with its user_version bump. */
export function migrate(db: Database, upTo = LATEST_VERSION): number {
  const current = schemaVersion(db);
  if (current > LATEST_VERSION) throw new SchemaTooNewError(current, LATEST_VERSION);
  for (const m of migrations) {
    if (m.version <= current || m.version > upTo) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return schemaVersion(db);
}
