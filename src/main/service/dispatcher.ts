/**
 * Serves the contract over any message-passing connection: validates each message and its params,
 * runs the service, streams packets, honours cancel, and cancels what is in flight when the peer leaves.
 */
import type { z } from 'zod';
import {
  clientMessageSchema,
  methodParams,
  streamParams,
  type MethodName,
  type MethodResults,
  type ServerMessage,
  type StreamFragment,
  type StreamName,
  type StreamProgress,
  type StreamResult,
} from '../../shared/contract.ts';
import { serializeError, type SerializedError } from '../../shared/errors.ts';

export interface StreamSink<F, P> {
  fragment(data: F): void;
  progress(data: P): void;
  readonly signal: AbortSignal;
}

export type ServiceMethods = {
  [M in MethodName]: (params: z.output<(typeof methodParams)[M]>) => Promise<MethodResults[M]>;
};
export type ServiceStreams = {
  [S in StreamName]: (
    params: z.output<(typeof streamParams)[S]>,
    sink: StreamSink<StreamFragment<S>, StreamProgress<S>>,
  ) => Promise<StreamResult<S>>;
};
export interface Service {
  methods: ServiceMethods;
  streams: ServiceStreams;
}

export interface Connection {
  receive(raw: unknown): void;
  close(): void;
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export function connect(service: Service, send: (msg: ServerMessage) => void): Connection {
  const running = new Map<number, AbortController>();
  let closed = false;
  const post = (msg: ServerMessage): void => {
    if (!closed) send(msg);
  };

  async function call(id: number, method: string, rawParams: unknown): Promise<void> {
    if (!has(methodParams, method)) {
      post({
        kind: 'result',
        id,
        ok: false,
        error: { title: 'Unknown method', cause: method, code: 'unknownMethod' },
      });
      return;
    }
    const m = method as MethodName;
    const parsed = methodParams[m].safeParse(rawParams);
    if (!parsed.success) {
      post({ kind: 'result', id, ok: false, error: invalidParams(method, parsed.error) });
      return;
    }
    try {
      const fn = service.methods[m] as (p: unknown) => Promise<unknown>;
      post({ kind: 'result', id, ok: true, value: await fn(parsed.data) });
    } catch (err) {
      post({ kind: 'result', id, ok: false, error: serializeError(err) });
    }
  }

  async function stream(id: number, method: string, rawParams: unknown): Promise<void> {
    if (!has(streamParams, method)) {
      post({
        kind: 'packet',
        id,
        packet: { type: 'error', error: { title: 'Unknown method', cause: method, code: 'unknownMethod' } },
      });
      return;
    }
    const s = method as StreamName;
    const schema = (streamParams as Record<string, z.ZodType>)[s]!;
    const parsed = schema.safeParse(rawParams);
    if (!parsed.success) {
      post({ kind: 'packet', id, packet: { type: 'error', error: invalidParams(method, parsed.error) } });
      return;
    }
    const controller = new AbortController();
    running.set(id, controller);
    const sink: StreamSink<unknown, unknown> = {
      fragment: (data) => post({ kind: 'packet', id, packet: { type: 'fragment', data } }),
      progress: (data) => post({ kind: 'packet', id, packet: { type: 'progress', data } }),
      signal: controller.signal,
    };
    try {
      const fn = (service.streams as Record<string, (p: unknown, k: StreamSink<unknown, unknown>) => Promise<unknown>>)[
        s
      ]!;
      const data = await fn(parsed.data, sink);
      post({ kind: 'packet', id, packet: { type: 'success', data } });
    } catch (err) {
      post({ kind: 'packet', id, packet: { type: 'error', error: serializeError(err) } });
    } finally {
      running.delete(id);
    }
  }

  return {
    receive(raw) {
      const msg = clientMessageSchema.safeParse(raw);
      if (!msg.success) return; // not ours: no id to answer to
      const m = msg.data;
      if (m.kind === 'cancel') running.get(m.id)?.abort();
      else if (m.kind === 'call') void call(m.id, m.method, m.params);
      else void stream(m.id, m.method, m.params);
    },
    close() {
      closed = true;
      for (const c of running.values()) c.abort();
      running.clear();
    },
  };
}

function invalidParams(method: string, error: z.ZodError): SerializedError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'params';
  return {
    title: `Invalid request to ${method}`,
    cause: `${where}: ${issue?.message ?? 'invalid'}`,
    code: 'invalidParams',
  };
}
