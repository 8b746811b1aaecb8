/** App settings: a small JSON file in the data directory, validated on read; a bad file falls back to defaults. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { codecSchema } from '../../shared/vocabulary.ts';
import type { Settings } from '../../shared/views.ts';

const fileSchema = z.object({
  cacheBudgetMb: z.number().int().min(16).default(2048),
  defaultCodec: codecSchema.default('exact'),
  threads: z.number().int().min(0).default(0),
  modelDir: z.string().nullable().default(null),
  /** The local OpenAI-compatible API: off until the user turns it on. */
  apiEnabled: z.boolean().default(false),
  apiPort: z.number().int().min(1).max(65535).default(1435),
  /** Generated on first enable; clients send it as a Bearer token. */
  apiKey: z.string().min(16).nullable().default(null),
});
export type SettingsFile = z.infer<typeof fileSchema>;

export class SettingsStore {
  private readonly file: string;
  private value: SettingsFile;
  private readonly listeners = new Set<(next: SettingsFile, prev: SettingsFile) => void>();

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

  /** Every change, after it is saved: the settings' users read them here instead of keeping copies. */
  onChange(listener: (next: SettingsFile, prev: SettingsFile) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  update(patch: Partial<SettingsFile>): SettingsFile {
    const prev = this.value;
    this.value = fileSchema.parse({
      ...this.value,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    });
    // Write-then-rename: a crash mid-write never leaves a truncated settings file.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.value, null, 2));
    renameSync(tmp, this.file);
    for (const l of this.listeners) l(this.all, { ...prev });
    return this.all;
  }
}
