/** The native application menu with the usual shortcuts; app actions go to the renderer as menu events. */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../shared/views.ts';

export function installMenu(emit: (command: MenuCommand) => void): void {
  const isMac = process.platform === 'darwin';
  const item = (label: string, command: MenuCommand, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    accelerator,
    click: () => emit(command),
  });
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        item('New Chat', 'newChat', 'CmdOrCtrl+N'),
        item('Search Conversations', 'search', 'CmdOrCtrl+K'),
        { type: 'separator' },
        item('Open Model Folder…', 'openModel', 'CmdOrCtrl+O'),
        { type: 'separator' },
        item('Import…', 'import', 'CmdOrCtrl+Shift+I'),
        item('Export Conversation as JSON…', 'exportJson', 'CmdOrCtrl+Shift+E'),
        item('Export Conversation as Markdown…', 'exportMarkdown'),
        item('Export Resumable Bundle…', 'exportBundle'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [item('About Reprise', 'about')] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
