/** The desktop shell's dialogs and menu events, behind the NativePlatform interface the service uses. */
import { BrowserWindow, dialog } from 'electron';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { NativePlatform } from '../service/native.ts';
import type { MenuCommand } from '../../shared/views.ts';

const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

export function electronPlatform(): NativePlatform & { emitMenu(command: MenuCommand): void } {
  const listeners = new Set<(c: MenuCommand) => void>();
  const parent = (): BrowserWindow | undefined => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
  return {
    emitMenu: (command) => listeners.forEach((l) => l(command)),
    onMenu(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async chooseModelFolder() {
      const opts = { title: 'Open model folder', properties: ['openDirectory' as const] };
      const w = parent();
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async openFile() {
      const opts = {
        title: 'Import conversations',
        properties: ['openFile' as const],
        filters: [
          { name: 'Reprise or ChatGPT export', extensions: ['json', 'reprise'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const w = parent();
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      const file = r.canceled ? undefined : r.filePaths[0];
      if (!file) return null;
      const bytes = await readFile(file);
      if (bytes.length > MAX_IMPORT_BYTES) throw new Error(`${basename(file)} is larger than 256 MiB`);
      // Bundles are binary; JSON travels as text.
      const binary = file.endsWith('.reprise');
      return {
        filename: basename(file),
        encoding: binary ? 'base64' : 'utf8',
        data: bytes.toString(binary ? 'base64' : 'utf8'),
      };
    },
    async saveFile(f) {
      const opts = { title: 'Export', defaultPath: f.filename };
      const w = parent();
      const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts);
      if (r.canceled || !r.filePath) return null;
      await writeFile(r.filePath, Buffer.from(f.data, f.encoding));
      return r.filePath;
    },
  };
}
