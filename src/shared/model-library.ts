/** What the Models page shows: hub search results, a repo's variants, downloads and the installed library. */

/** A known-good starter repo; sizes (MB) are the hub page's, until the repo's live tree is read. */
export interface StarterView {
  repo: string;
  label: string;
  note: string;
  sizesMB: Partial<Record<string, number>>;
}

export interface HubModelView {
  repo: string;
  downloads: number;
  likes: number;
  updatedAt: string;
  /** Gated or private: downloading needs a Hugging Face token (HF_TOKEN or the app's settings). */
  gated: boolean;
}

export interface VariantView {
  name: string;
  onnx: string;
  downloadBytes: number;
  description: string;
}

export interface RepoDetailsView {
  repo: string;
  revision: string;
  /** Smallest download first. */
  variants: VariantView[];
  /** The variant that suits this machine, and why (null when the repo has no ONNX variant). */
  recommended: { variant: string; reason: string } | null;
  /** Names of these variants already in the library (folder names). */
  installed: Record<string, string>;
}

export interface InstalledModelView {
  name: string;
  dir: string;
  repo: string | null;
  variant: string | null;
  sizeBytes: number;
  contextLength: number | null;
  kvDtype: 'float32' | 'float16' | null;
  lastUsedAt: number | null;
  /** This folder is the loaded model. */
  loaded: boolean;
  /** Its KV cache blocks in the store (what deleting them too would free). */
  cacheBlocks: number;
  cacheBytes: number;
}

export interface ModelLibraryView {
  /** Most recently used first. */
  models: InstalledModelView[];
  /** The built-in model's folder: opening it switches back. */
  builtInDir: string;
  /** Model folders opened by path lately (not the installed or built-in ones), newest first. */
  recent: RecentFolderView[];
}

export interface RecentFolderView {
  name: string;
  dir: string;
  lastUsedAt: number;
}

export interface PullProgressView {
  phase: 'downloading' | 'verifying' | 'done';
  file: string | null;
  bytesDone: number;
  bytesTotal: number;
  bytesResumed: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface PullResultView {
  name: string;
  dir: string;
  variant: string;
  reason: string;
  alreadyInstalled: boolean;
  bytesFetched: number;
  bytesResumed: number;
}

export interface RemovedModelView {
  name: string;
  freedBytes: number;
  cacheBlocks: number;
  cacheBytes: number;
  cacheDeleted: boolean;
}
