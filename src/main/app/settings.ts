/** App settings: a small JSON file in the data directory, validated on read; a bad file falls back to defaults. */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { codecSchema } from '../api/schemas.ts';
import type { Settings } from '../api/views.ts';

const fileSchema = z.object({
  cacheBudgetMb: z.number().int().min(16).default(2048),
  defaultCodec: codecSchema.default('exact'),
  threads: z.number().int().min(0).default(0),
  modelDir: z.string().nullable().default(null),
});
export type SettingsFile = z.infer<typeof fileSchema>;

export class SettingsStore {
  private readonly file: string;
  private value: SettingsFile;

  constructor(
    dataDir: string,
    private readonly warn: (msg: string) => void = console.warn,
  ) {
    this.file = join(dataDir, 'settings.json');
    this.value = this.read();
  }

  private read(): SettingsFile {
    if (!existsSync(this.file)) return fileSchema.parse({});
    try {
      return fileSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (err) {
      this.warn(`settings: ${this.file} is unreadable (${String(err)}); using defaults`);
      return fileSchema.parse({});
    }
  }

  get all(): SettingsFile {
    return { ...this.value };
  }

  view(): Settings {
    const { cacheBudgetMb, defaultCodec, threads } = this.value;
    return { cacheBudgetMb, defaultCodec, threads };
  }

  update(patch: Partial<SettingsFile>): SettingsFile {
    const previous = this.value;
    this.value = fileSchema.parse({
      ...this.value,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    });
    // Write-then-rename: a crash mid-write never leaves a truncated settings file.
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.value, null, 2));
      renameSync(tmp, this.file);
    } catch (err) {
      rmSync(tmp, { force: true }); // no 0-byte leftover
      this.value = previous; // what is kept is what is on disk
      throw settingsWriteError(err, this.file);
    }
    return this.all;
  }
}

/** A failed settings write in the database's words (api/errors.ts): what, why, what to do. */
function settingsWriteError(err: unknown, file: string): Error {
  const code = (err as { code?: string }).code;
  const cause = `writing ${file} failed: ${(err as Error).message}`;
  const e =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? {
          title: 'The disk is full',
          suggestion: 'Free some disk space, then change the setting again. The previous settings are kept.',
          code: 'disk_full',
        }
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? {
            title: 'The data folder is read-only',
            suggestion: 'Check the permissions of the data folder. The previous settings are kept.',
            code: 'read_only',
          }
        : {
            title: 'The settings could not be saved',
            suggestion: 'The previous settings are kept.',
            code: 'settings_write',
          };
  return Object.assign(new Error(`${e.title}: ${cause}`), { ...e, cause });
}
