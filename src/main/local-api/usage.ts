// Usage objects, the request log and client-disconnect handling shared by the endpoints.
import type { SSEStreamingApi } from 'hono/streaming';
import type { CompletionResult } from '../chat/completion.ts';
import type { RequestLog } from './request-log.ts';

/** `cached_tokens`: prompt tokens that were not prefilled (restored from the store or already live). */
export const usageOf = (r: CompletionResult) => ({
  prompt_tokens: r.promptTokens,
  completion_tokens: r.completionTokens,
  total_tokens: r.promptTokens + r.completionTokens,
  prompt_tokens_details: { cached_tokens: r.cachedTokens },
});

/** A finished request; one whose client went away mid-reply is logged as 499 (client closed). */
export function logRequest(log: RequestLog, endpoint: string, r: CompletionResult & { clientGone?: boolean }): void {
  log.add({
    time: Date.now(),
    endpoint,
    status: r.clientGone ? 499 : 200,
    promptTokens: r.promptTokens,
    cachedTokens: r.cachedTokens,
    completionTokens: r.completionTokens,
    ttftMs: Math.round(r.ttftMs),
    tokS: Math.round(r.decodeTokS * 10) / 10,
  });
}

/**
 * A signal that fires when the client closes the stream: its generation is cancelled. Writes after that
 * are dropped (a write to a closed stream would turn a normal cancel into an error).
 */
export function abortOnClose(stream: SSEStreamingApi, request: AbortSignal): AbortSignal {
  const controller = new AbortController();
  stream.onAbort(() => controller.abort());
  // the server aborts the request's signal when the connection closes early, even between writes
  request.addEventListener('abort', () => controller.abort(), { once: true });
  const write = stream.writeSSE.bind(stream);
  stream.writeSSE = async (m) => {
    if (!stream.aborted) await write(m).catch(() => undefined);
  };
  return controller.signal;
}
