/** The local API panel's state: the server's status and its request log, refreshed while the panel is open. */
import type { LocalApiStatus } from '../../../shared/contract.ts';
import { api } from './api.ts';
import { conversations } from './conversations.svelte.ts';
import { toUserError, type UserError } from './errors.ts';
import { toasts } from './toasts.svelte.ts';

const POLL_MS = 1500;

export class LocalApiState {
  status = $state.raw<LocalApiStatus | null>(null);
  error = $state.raw<UserError | null>(null);
  busy = $state(false);

  async refresh(): Promise<void> {
    try {
      this.status = await api.call('api.status', {});
      this.error = null;
    } catch (e) {
      this.error = toUserError(e, 'Could not read the local API status');
    }
  }

  /** Polls while a panel shows the log; returns the stop function. */
  follow(): () => void {
    void this.refresh();
    const t = setInterval(() => void this.refresh(), POLL_MS);
    return () => clearInterval(t);
  }

  async configure(p: { enabled?: boolean; port?: number }): Promise<void> {
    this.busy = true;
    try {
      this.status = await api.call('api.configure', p);
      if (this.status.enabled && !this.status.running && this.status.error) toasts.error(this.status.error);
    } catch (e) {
      toasts.error(e, 'Could not change the local API');
    } finally {
      this.busy = false;
    }
  }

  /** A stored responses chain as a new chat (its next turn restores the chain's cache); returns its id. */
  async openResponse(id: string): Promise<string | null> {
    try {
      const view = await api.call('api.openResponse', { id });
      conversations.upsert(view);
      return view.id;
    } catch (e) {
      toasts.error(e, 'Could not open the response as a chat');
      return null;
    }
  }

  async regenerateKey(): Promise<void> {
    try {
      this.status = await api.call('api.regenerateKey', {});
      toasts.info('A new API key is in use; the old one no longer works.');
    } catch (e) {
      toasts.error(e, 'Could not make a new key');
    }
  }
}

export const localApi = new LocalApiState();
