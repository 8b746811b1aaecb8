import { api } from './api.ts';
import { about } from './app.svelte.ts';

/**
 * Native dialogs exist when the main side says so (the desktop app); browser mode falls back to a text
 * field for folders and to uploads and downloads for files.
 */
export interface NativeHooks {
  /** Shows a native "choose folder" dialog; resolves to the chosen path, or null when cancelled. */
  pickModelFolder?: () => Promise<string | null>;
}

export function nativeHooks(): NativeHooks {
  if (!about.info?.nativeDialogs) return {};
  return { pickModelFolder: async () => (await api.call('native.chooseModelFolder', {})).dir };
}

export function hasNativeDialogs(): boolean {
  return about.info?.nativeDialogs === true;
}

export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const modKey = isMac ? '⌘' : 'Ctrl';
