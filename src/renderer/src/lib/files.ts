/** Export downloads and import uploads: the same flow in browser mode and in Electron's renderer. */
import type { ExportedFile } from '../../../shared/contract.ts';

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    bin += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(bin);
}

export function downloadFile(file: ExportedFile): void {
  const blob =
    file.encoding === 'base64'
      ? new Blob([base64ToBytes(file.data)], { type: file.mime })
      : new Blob([file.data], { type: file.mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A chosen file as the import call wants it: UTF-8 text when it is text, base64 otherwise. */
export async function readForImport(
  file: File,
): Promise<{ filename: string; encoding: 'utf8' | 'base64'; data: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!text.includes('\u0000')) return { filename: file.name, encoding: 'utf8', data: text };
  } catch {
    // not UTF-8: a binary bundle
  }
  return { filename: file.name, encoding: 'base64', data: bytesToBase64(bytes) };
}
