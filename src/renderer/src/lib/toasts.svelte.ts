/** Short-lived notices: errors (stay until dismissed) and confirmations (fade after a few seconds). */
import { connection } from './connection.svelte.ts';
import { toUserError, type UserError } from './errors.ts';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  error?: UserError;
  message?: string;
  /** A button next to the message (Undo). */
  action?: { label: string; run: () => void };
}

export class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  error(err: unknown, fallbackTitle?: string): void {
    // Disconnected, every call fails the same way; the banner already says why and what to do.
    if (connection.lost) return;
    this.items.push({ id: this.next++, kind: 'error', error: toUserError(err, fallbackTitle) });
    if (this.items.length > 4) this.items.shift();
  }

  info(message: string, action?: Toast['action'], ms = 5000): void {
    const id = this.next++;
    this.items.push({ id, kind: 'info', message, action });
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    const i = this.items.findIndex((t) => t.id === id);
    if (i >= 0) this.items.splice(i, 1);
  }
}

export const toasts = new Toasts();
