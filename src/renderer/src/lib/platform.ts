import { api } from './api.ts';
import { about } from './app.svelte.ts';

/** Native dialogs exist when the main side says so (the desktop app); browser mode uses a text field. */
export async function pickModelFolder(): Promise<string | null> {
  return (await api.call('native.chooseModelFolder', {})).dir;
}

export function hasNativeDialogs(): boolean {
  return about.info?.nativeDialogs === true;
}

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const modKey = isMac ? '⌘' : 'Ctrl';
