// Public surface of the model library: hub search, variants, recommendation, download, installed models.
export { ModelError, type ModelErrorCode } from './errors.ts';
export { DEFAULT_HUB_URL, hubParams, type HubOptions } from './hub.ts';
export { searchModels, repoDetails, type HubModel, type RepoDetails, type SearchSort } from './search.ts';
export {
  listVariants,
  filesForVariant,
  variantName,
  normalizeVariant,
  type Variant,
  type RepoFile,
} from './variants.ts';
export { recommendVariant, thisMachine, type Machine, type Recommendation } from './recommend.ts';
export { STARTERS, type Starter } from './starters.ts';
export { pullModel, type PullOptions, type PullProgress, type PullResult } from './download.ts';
export { freeSpace, formatBytes, type FreeSpaceProbe } from './disk-space.ts';
export {
  listInstalled,
  findInstalled,
  resolveModelArg,
  recordUse,
  recentFolders,
  fingerprintsOf,
  folderOf,
  removeModel,
  modelsDir,
  type InstalledModel,
  type RemovedModel,
  type UsageEntry,
} from './library.ts';
