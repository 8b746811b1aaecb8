/** Export and import with progress: the files move through the same service contract as everything else. */
import type { ExportFormat, IoProgress, OpenedFile } from '../../../shared/contract.ts';
import { api } from './api.ts';
import { cache } from './app.svelte.ts';
import { chat } from './chat.svelte.ts';
import { conversations } from './conversations.svelte.ts';
import { toUserError, type UserError } from './errors.ts';
import { downloadFile, readForImport } from './files.ts';
import { hasNativeDialogs } from './platform.ts';
import { toasts } from './toasts.svelte.ts';

export interface IoTask {
  kind: 'export' | 'import';
  label: string;
  progress: IoProgress | null;
}

const PHASES: Record<IoProgress['phase'], string> = { read: 'Reading', validate: 'Checking', write: 'Writing' };

export function ioProgressText(p: IoProgress | null): string {
  if (!p) return 'Starting…';
  return p.total > 0
    ? `${PHASES[p.phase]} ${p.done.toLocaleString()} / ${p.total.toLocaleString()}`
    : `${PHASES[p.phase]}…`;
}

/** A file that was imported before: the user chooses between its earlier conversations and new copies. */
export interface RepeatImport {
  filename: string;
  at: number;
  conversationIds: string[];
  file: ImportParams;
}

type ImportParams = { filename: string; encoding: 'utf8' | 'base64'; data: string };

export class IoState {
  task = $state<IoTask | null>(null);
  repeat = $state.raw<RepeatImport | null>(null);
  /** The last import failure, shown as an alert with title, cause and suggestion. */
  importError = $state.raw<UserError | null>(null);

  async exportConversation(conversationId: string | undefined, format: ExportFormat): Promise<void> {
    if (this.task) return;
    this.task = { kind: 'export', label: 'Exporting', progress: null };
    const task = this.task;
    try {
      const prediction = api.stream('io.export', conversationId ? { conversationId, format } : { format });
      prediction.onProgress((p) => (task.progress = p));
      const file = await prediction;
      if (hasNativeDialogs()) {
        const { path } = await api.call('native.saveFile', file);
        if (path) toasts.info(`Exported ${path}`);
      } else {
        downloadFile(file);
        toasts.info(`Exported ${file.filename}`);
      }
    } catch (e) {
      toasts.error(e, 'Export failed');
    } finally {
      this.task = null;
    }
  }

  /** The desktop app's native "Import…" dialog; browser mode uses the file input instead. */
  async importNative(): Promise<void> {
    if (this.task) return;
    try {
      const file = await api.call('native.openFile', { purpose: 'import' });
      if (file) await this.importFile(file);
    } catch (e) {
      this.importError = toUserError(e, 'Import failed');
    }
  }

  /** `again`: the user chose to import a file a second time, as copies. */
  async importFile(file: File | OpenedFile, again = false): Promise<void> {
    if (this.task) return;
    this.importError = null;
    this.repeat = null;
    const name = file instanceof File ? file.name : file.filename;
    this.task = { kind: 'import', label: `Importing ${name}`, progress: null };
    const task = this.task;
    try {
      const params: ImportParams =
        file instanceof File
          ? await readForImport(file)
          : { filename: file.filename, encoding: file.encoding, data: file.data };
      const prediction = api.stream('io.import', again ? { ...params, again } : params);
      prediction.onProgress((p) => (task.progress = p));
      const result = await prediction;
      if (result.alreadyImported) {
        this.repeat = { ...result.alreadyImported, file: params };
        return;
      }
      await conversations.refresh();
      void cache.refresh();
      const n = result.conversationIds.length;
      const blocks = result.importedBlocks > 0 ? `, with ${result.importedBlocks} cache blocks` : '';
      toasts.info(`Imported ${n} conversation${n === 1 ? '' : 's'}${blocks}`);
      const first = result.conversationIds[0];
      if (first) await chat.open(first);
    } catch (e) {
      this.importError = toUserError(e, 'Import failed');
    } finally {
      this.task = null;
    }
  }

  /** The repeated file's earlier conversations are what the user wanted: open the first. */
  async keepEarlier(): Promise<void> {
    const first = this.repeat?.conversationIds[0];
    this.repeat = null;
    if (first) await chat.open(first);
  }

  async importAgain(): Promise<void> {
    const r = this.repeat;
    this.repeat = null;
    if (r) await this.importFile(r.file, true);
  }
}

export const io = new IoState();
