/** What only the desktop shell can do; browser mode has none of it (uploads and downloads instead). */
import type { MenuCommand, OpenedFile } from '../../shared/views.ts';

export interface NativePlatform {
  chooseModelFolder(): Promise<string | null>;
  openFile(purpose: 'import'): Promise<OpenedFile | null>;
  saveFile(file: { filename: string; mime: string; encoding: 'utf8' | 'base64'; data: string }): Promise<string | null>;
  onMenu(listener: (command: MenuCommand) => void): () => void;
}
