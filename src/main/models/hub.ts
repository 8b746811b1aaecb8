// Where the hub is and who we are to it: HF_ENDPOINT / HF_TOKEN, an abortable fetch for @huggingface/hub,
// and the translation of its HubApiError into errors a user can act on.
import { HubApiError } from '@huggingface/hub';
import { ModelError } from './errors.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  /** Hub base URL; default HF_ENDPOINT, then the public hub. */
  hubUrl?: string | undefined;
  /** Access token for gated/private repos; default HF_TOKEN. */
  accessToken?: string | undefined;
  /** Replaces global fetch (tests count requests through it). */
  fetch?: typeof fetch | undefined;
  signal?: AbortSignal | undefined;
}

export interface HubParams {
  hubUrl: string;
  accessToken: string | undefined;
  fetch: typeof fetch;
}

export function hubParams(o: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): HubParams {
  const hubUrl = (o.hubUrl ?? env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const accessToken = o.accessToken || env.HF_TOKEN || undefined;
  // The library refuses tokens that do not start with hf_ with a bare TypeError; say it our way first.
  if (accessToken && !accessToken.startsWith('hf_'))
    throw new ModelError({
      code: 'badToken',
      title: 'Invalid Hugging Face token',
      cause: 'Hugging Face access tokens start with "hf_"; the one given does not.',
      suggestion:
        'Copy a token from https://huggingface.co/settings/tokens into HF_TOKEN or Reprise\u2019s settings (About Reprise \u2192 Hugging Face token).',
    });
  const base = o.fetch ?? fetch;
  const signal = o.signal;
  const f: typeof fetch = signal ? (input, init) => base(input, { ...init, signal }) : base;
  return { hubUrl, accessToken, fetch: f };
}

/** Maps library and network failures to ModelErrors; `what` names the repo or file for the message. */
export function hubError(err: unknown, what: string, signal?: AbortSignal, tokenSent = false): Error {
  if (err instanceof ModelError) return err;
  if (signal?.aborted || (err instanceof Error && err.name === 'AbortError'))
    return new ModelError({
      code: 'cancelled',
      title: 'Download cancelled',
      cause: `The download of ${what} was cancelled.`,
      suggestion: 'Start it again to resume where it stopped; the bytes already fetched are kept.',
    });
  if (err instanceof HubApiError) {
    // the hub answers 401 to a token it does not know, whatever the repository ("Invalid credentials in
    // Authorization header"); a 401 for a repo it will not reveal says something else
    if (err.statusCode === 401 && tokenSent && /invalid (credentials|username or password|token)/i.test(err.message))
      return new ModelError({
        code: 'tokenRequired',
        title: 'The Hugging Face token was refused',
        cause: `The hub answered 401 for ${what}: it does not accept the token given (mistyped, expired or revoked).`,
        suggestion:
          'Create a read token at https://huggingface.co/settings/tokens and save it in Reprise (About Reprise \u2192 Hugging Face token) or set HF_TOKEN; HF_TOKEN, when set, is the one used.',
      });
    if (err.statusCode === 401 || err.statusCode === 403)
      return new ModelError({
        code: 'tokenRequired',
        title: 'This model needs a Hugging Face token',
        cause: `The hub answered ${err.statusCode} for ${what}: the repository is gated or private${err.statusCode === 403 ? ' and the token given has no access to it' : ''}.`,
        suggestion:
          'Accept the model\u2019s licence on its Hugging Face page, create a read token at https://huggingface.co/settings/tokens, and save it in Reprise (About Reprise \u2192 Hugging Face token) or set HF_TOKEN.',
      });
    if (err.statusCode === 404)
      return new ModelError({
        code: 'repoNotFound',
        title: 'Not found on the hub',
        cause: `The hub has no ${what} (404).`,
        suggestion: 'Check the repository name (owner/name) and spelling; search with `models search`.',
      });
    return new ModelError({
      code: 'network',
      title: 'The hub returned an error',
      cause: `${what}: HTTP ${err.statusCode}: ${err.message}`,
      suggestion: 'Try again later; if it persists, check HF_ENDPOINT and your network.',
    });
  }
  const msg = err instanceof Error ? err.message : String(err);
  const c = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return new ModelError({
    code: 'network',
    title: 'Cannot reach the hub',
    cause: `${what}: ${msg}${c}`,
    suggestion:
      'Check your network connection (and HF_ENDPOINT if you use a mirror), then try again; downloads resume.',
  });
}
