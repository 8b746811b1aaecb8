// Hub search for models Reprise can run: ONNX exports tagged text-generation, by name, sorted by
// downloads, likes or last update. Repo details (variants and sizes) come from the file tree.
import { listFiles, listModels, modelInfo } from '@huggingface/hub';
import { hubError, hubParams, type HubOptions } from './hub.ts';
import { recommendVariant, type Machine, type Recommendation } from './recommend.ts';
import { listVariants, repoFiles, type RepoFile, type Variant } from './variants.ts';

export type SearchSort = 'downloads' | 'likes' | 'updated';

export interface HubModel {
  repo: string;
  downloads: number;
  likes: number;
  updatedAt: string;
  gated: boolean;
}

export async function searchModels(
  query: string,
  o: HubOptions & { sort?: SearchSort; limit?: number } = {},
): Promise<HubModel[]> {
  const p = hubParams(o);
  const out: HubModel[] = [];
  try {
    for await (const m of listModels({
      ...p,
      search: { query: query.trim() || undefined, task: 'text-generation', tags: ['onnx'] },
      sort: o.sort === 'updated' ? 'lastModified' : (o.sort ?? 'downloads'),
      limit: o.limit ?? 30,
    })) {
      out.push({
        repo: m.name,
        downloads: m.downloads,
        likes: m.likes,
        updatedAt: m.updatedAt.toISOString(),
        gated: m.gated !== false,
      });
    }
  } catch (err) {
    throw hubError(err, `search results for "${query}"`, o.signal, p.accessToken !== undefined);
  }
  return out;
}

export interface RepoDetails {
  repo: string;
  /** The commit the file list belongs to; downloads are pinned to it so files always match. */
  revision: string;
  files: RepoFile[];
  variants: Variant[];
  recommended: Recommendation | null;
}

export async function repoDetails(
  repo: string,
  machine: Machine,
  o: HubOptions & { revision?: string } = {},
): Promise<RepoDetails> {
  const p = hubParams(o);
  try {
    const info = await modelInfo({ ...p, name: repo, additionalFields: ['sha'], revision: o.revision });
    const revision = info.sha || o.revision || 'main';
    const entries = [];
    for await (const e of listFiles({ ...p, repo, recursive: true, revision })) entries.push(e);
    const files = repoFiles(entries);
    const variants = listVariants(files);
    return { repo, revision, files, variants, recommended: recommendVariant(variants, machine) };
  } catch (err) {
    throw hubError(err, `model repository ${repo}`, o.signal, p.accessToken !== undefined);
  }
}
