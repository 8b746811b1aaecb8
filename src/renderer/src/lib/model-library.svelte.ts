/** The Models page's state: starters, hub search, one repo's variants, a running download, the library. */
import type {
  HubModelView,
  ModelLibraryView,
  PullProgressView,
  RepoDetailsView,
  StarterView,
} from '../../../shared/contract.ts';
import type { Prediction } from '../../../shared/client.ts';
import { api } from './api.ts';
import { model } from './app.svelte.ts';
import { formatBytes } from './format.ts';
import { isCancellation, toUserError, type UserError } from './errors.ts';
import { toasts } from './toasts.svelte.ts';

export type SearchSort = 'downloads' | 'likes' | 'updated';

export class ModelLibraryState {
  starters = $state.raw<StarterView[]>([]);
  results = $state.raw<HubModelView[] | null>(null);
  searching = $state(false);
  details = $state.raw<RepoDetailsView | null>(null);
  detailsLoading = $state(false);
  library = $state.raw<ModelLibraryView | null>(null);
  /** The download in progress (one at a time). */
  pull = $state.raw<{ repo: string; variant: string; progress: PullProgressView | null } | null>(null);
  error = $state.raw<UserError | null>(null);
  private running: Pick<Prediction<never, PullProgressView, unknown>, 'cancel'> | null = null;

  async load(): Promise<void> {
    try {
      [this.starters, this.library] = await Promise.all([
        api.call('models.starters', {}),
        api.call('models.installed', {}),
      ]);
    } catch (e) {
      this.error = toUserError(e, 'Could not read the model library');
    }
  }

  async refreshLibrary(): Promise<void> {
    try {
      this.library = await api.call('models.installed', {});
    } catch (e) {
      this.error = toUserError(e, 'Could not read the installed models');
    }
  }

  async search(query: string, sort: SearchSort): Promise<void> {
    this.searching = true;
    this.error = null;
    try {
      this.results = await api.call('models.search', { query, sort });
    } catch (e) {
      this.error = toUserError(e, 'Could not search the hub');
    } finally {
      this.searching = false;
    }
  }

  async show(repo: string): Promise<void> {
    this.detailsLoading = true;
    this.error = null;
    this.details = null;
    try {
      this.details = await api.call('models.details', { repo });
    } catch (e) {
      this.error = toUserError(e, `Could not read ${repo}`);
    } finally {
      this.detailsLoading = false;
    }
  }

  /** Downloads one variant; a cancelled one resumes from its partial files when started again. */
  async download(repo: string, variant: string): Promise<void> {
    if (this.pull) return;
    this.error = null;
    this.pull = { repo, variant, progress: null };
    const prediction = api.stream('models.pull', { repo, variant });
    this.running = prediction;
    prediction.onProgress((p) => (this.pull = { repo, variant, progress: p }));
    try {
      const r = await prediction;
      toasts.info(r.alreadyInstalled ? `${r.name} is already installed` : `Downloaded ${r.name}`);
      await this.refreshLibrary();
      if (this.details?.repo === repo)
        this.details = { ...this.details, installed: { ...this.details.installed, [variant]: r.name } };
    } catch (e) {
      if (isCancellation(e)) toasts.info('Download cancelled; start it again to resume where it stopped.');
      else this.error = toUserError(e, 'The download failed');
    } finally {
      this.pull = null;
      this.running = null;
    }
  }

  cancel(): void {
    this.running?.cancel();
  }

  /** Loads a folder as the app's model (an installed one, or the built-in one). */
  async use(dir: string): Promise<void> {
    await model.open(dir);
    await this.refreshLibrary();
  }

  async remove(name: string, withCache: boolean): Promise<void> {
    try {
      const r = await api.call('models.remove', { name, withCache });
      const cache = r.cacheDeleted ? ` and ${formatBytes(r.cacheBytes)} of its cache` : '';
      toasts.info(`Deleted ${name}: freed ${formatBytes(r.freedBytes)}${cache}`);
      await this.refreshLibrary();
    } catch (e) {
      toasts.error(e, `Could not delete ${name}`);
    }
  }
}

export const modelLibrary = new ModelLibraryState();
