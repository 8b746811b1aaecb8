/** App-wide facts: about info, the model, the cache budget and the app settings. */
import type {
  AppInfo,
  CacheUsage,
  LoadProgress,
  ConversationChange,
  MenuCommand,
  MethodParams,
  ModelStatus,
  ModelView,
  Settings,
} from '../../../shared/contract.ts';
import { api } from './api.ts';
import { toUserError, type UserError } from './errors.ts';
import { toasts } from './toasts.svelte.ts';

export class AppInfoState {
  info = $state.raw<AppInfo | null>(null);
  error = $state.raw<UserError | null>(null);

  async load(): Promise<void> {
    try {
      this.info = await api.call('app.info', {});
      this.error = null;
    } catch (e) {
      this.error = toUserError(e, 'Could not reach the Reprise service');
    }
  }
}

export class ModelState {
  status = $state.raw<ModelStatus | null>(null);
  /** Set while an explicit "open model folder" runs. */
  progress = $state.raw<LoadProgress | null>(null);
  opening = $state(false);
  /** The last failure to open a folder, shown next to the folder field. */
  openError = $state.raw<UserError | null>(null);
  statusError = $state.raw<UserError | null>(null);

  readonly ready = $derived(this.status?.state === 'ready');
  readonly loading = $derived(this.opening || this.status?.state === 'loading');
  /** The model the app is using (a failed switch keeps the previous one). */
  readonly model: ModelView | null = $derived(
    this.status?.state === 'ready' ? this.status.model : this.status?.state === 'error' ? this.status.previous : null,
  );
  async refresh(): Promise<void> {
    try {
      this.status = await api.call('model.status', {});
      this.statusError = null;
    } catch (e) {
      this.statusError = toUserError(e, 'Could not read the model status');
    }
  }

  async open(dir: string): Promise<boolean> {
    this.opening = true;
    this.openError = null;
    this.progress = { message: 'Opening…', fraction: 0 };
    try {
      const prediction = api.stream('model.open', { dir });
      prediction.onProgress((p) => (this.progress = p));
      const status = await prediction;
      this.status = status;
      if (status.state === 'error') {
        this.openError = status.error;
        return false;
      }
      if (status.state === 'ready') toasts.info(`Model ready: ${status.model.name}`);
      return true;
    } catch (e) {
      this.openError = toUserError(e, 'Could not open the model folder');
      void this.refresh();
      return false;
    } finally {
      this.opening = false;
      this.progress = null;
    }
  }
}

export class CacheState {
  usage = $state.raw<CacheUsage | null>(null);
  settings = $state.raw<Settings | null>(null);

  async refresh(): Promise<void> {
    try {
      this.usage = await api.call('cache.usage', {});
    } catch {
      // shown as "unknown"; not worth a toast on every turn
    }
  }

  async loadSettings(): Promise<void> {
    try {
      this.settings = await api.call('settings.get', {});
    } catch (e) {
      toasts.error(e, 'Could not read the settings');
    }
  }

  /** Saves (a string) or removes (null) the Hugging Face token; the error, if any, for the form to show. */
  async setHfToken(hfToken: string | null): Promise<UserError | null> {
    try {
      this.settings = await api.call('settings.update', { hfToken });
      return null;
    } catch (e) {
      return toUserError(e, 'Could not save the token');
    }
  }

  async updateSettings(patch: MethodParams<'settings.update'>): Promise<boolean> {
    try {
      this.settings = await api.call('settings.update', patch);
      void this.refresh();
      return true;
    } catch (e) {
      toasts.error(e, 'Could not save the settings');
      return false;
    }
  }
}

/**
 * The main side pushes model status changes, native menu commands and conversation changes (from any
 * window on the same data) over one long-lived stream, so the start-up model load shows without polling,
 * the desktop menu drives the same actions as the buttons, and two tabs see each other's chats.
 */
export function followAppEvents(
  onMenu: (command: MenuCommand) => void,
  onConversation: (id: string, change: ConversationChange) => void,
  onCacheVerified: (conversationId: string) => void = () => {},
): () => void {
  const events = api.stream('app.events', {});
  void (async () => {
    try {
      for await (const e of events) {
        if (e.type === 'model') model.status = e.status;
        else if (e.type === 'cacheVerified') onCacheVerified(e.conversationId);
        else if (e.type === 'conversation') onConversation(e.id, e.change);
        else onMenu(e.command);
      }
    } catch {
      // the connection went away; the disconnected banner says so
    }
  })();
  return () => events.cancel();
}

export const about = new AppInfoState();
export const model = new ModelState();
export const cache = new CacheState();
