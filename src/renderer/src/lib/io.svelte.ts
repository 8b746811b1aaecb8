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

export class IoState {
  task = $state<IoTask | null>(null);
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

  async importFile(file: File | OpenedFile): Promise<void> {
    if (this.task) return;
    this.importError = null;
    const name = file instanceof File ? file.name : file.filename;
    this.task = { kind: 'import', label: `Importing ${name}`, progress: null };
    const task = this.task;
    try {
      const params = file instanceof File ? await readForImport(file) : file;
      const prediction = api.stream('io.import', params);
      prediction.onProgress((p) => (task.progress = p));
      const result = await prediction;
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
}

export const io = new IoState();
