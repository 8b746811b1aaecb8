import type { Migration } from './types.ts';

// The fp16 codec (near-exact: an fp32 cache stored as IEEE half). Only the two CHECK lists change, so the
// constraint text is edited in place (SQLite's documented writable_schema route for CHECK changes) instead
// of rebuilding `conversations` and `kv_blocks`, which carry foreign keys and ref-count triggers. Widening a
// CHECK cannot make a stored row invalid; the schema_version bump makes every connection re-read it.
const OLD = "CHECK (codec IN ('exact', 'int8', 'int4'))";
const NEW = "CHECK (codec IN ('exact', 'int8', 'int4', 'fp16'))";

export const m007: Migration = {
  version: 7,
  name: 'fp16 codec',
  up(db) {
    const version = db.pragma('schema_version', { simple: true }) as number;
    db.unsafeMode(true); // better-sqlite3 opens connections in defensive mode, which forbids this edit
    try {
      db.pragma('writable_schema = ON');
      const changed = db
        .prepare(
          "UPDATE sqlite_schema SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name IN ('conversations', 'kv_blocks')",
        )
        .run(OLD, NEW).changes;
      if (changed !== 2) throw new Error(`migration 7: expected 2 codec CHECKs to widen, found ${changed}`);
      db.pragma(`schema_version = ${version + 1}`);
    } finally {
      db.pragma('writable_schema = OFF');
      db.unsafeMode(false);
    }
  },
};
