import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerMessage } from '../../shared/contract.ts';
import { connect, type Service, type StreamSink } from './dispatcher.ts';
import { AppError } from '../../shared/errors.ts';

// A service with one streaming method, wired by hand: the contract's stream table is empty until the
// chat methods land, so this exercises the dispatcher's packet and cancel mechanics directly.
/** Where each stream saw its abort signal. */
const aborted: number[] = [];

function countingService(): Service {
  const streams = {
    count: async (p: { n: number }, sink: StreamSink<number, string>) => {
      for (let i = 0; i < p.n; i++) {
        if (sink.signal.aborted) {
          aborted.push(i);
          return { stopped: true, at: i };
        }
        sink.progress(`step ${i}`);
        sink.fragment(i);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (p.n === 0) throw new AppError({ code: 'badArgument', title: 'Nothing to count', suggestion: 'Ask for more' });
      return { stopped: false, at: p.n };
    },
  };
  return { methods: { 'app.info': async () => ({}) as never } as never, streams: streams as never };
}

async function collect(
  run: (send: (m: unknown) => void) => void,
  until: (m: ServerMessage) => boolean,
): Promise<ServerMessage[]> {
  const out: ServerMessage[] = [];
  await new Promise<void>((resolve) => {
    run((m) => {
      out.push(m as ServerMessage);
      if (until(m as ServerMessage)) resolve();
    });
  });
  return out;
}

test('malformed messages are ignored; streams need a registered method', async () => {
  const sent: ServerMessage[] = [];
  const conn = connect(countingService(), (m) => sent.push(m));
  conn.receive('garbage');
  conn.receive({ kind: 'call', id: -1, method: 'x' });
  conn.receive({ kind: 'stream', id: 3, method: 'count', params: { n: 1 } });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.kind, 'packet');
  assert.deepEqual((sent[0] as { packet: { type: string } }).packet.type, 'error');
});

test('cancel reaches a running stream and closing the connection aborts it', async () => {
  const service = countingService();
  // Register the stream's params schema the way the contract would.
  const { streamParams } = await import('../../shared/contract.ts');
  const { z } = await import('zod');
  (streamParams as Record<string, unknown>).count = z.object({ n: z.number() });
  try {
    let conn!: ReturnType<typeof connect>;
    const msgs = await collect(
      (send) => {
        conn = connect(service, send);
        conn.receive({ kind: 'stream', id: 7, method: 'count', params: { n: 1000 } });
        setTimeout(() => conn.receive({ kind: 'cancel', id: 7 }), 30);
      },
      (m) => m.kind === 'packet' && (m.packet.type === 'success' || m.packet.type === 'error'),
    );
    const last = msgs.at(-1) as Extract<ServerMessage, { kind: 'packet' }>;
    assert.equal(last.packet.type, 'success');
    assert.deepEqual((last.packet as { data: { stopped: boolean } }).data.stopped, true);
    assert.ok(msgs.some((m) => m.kind === 'packet' && m.packet.type === 'fragment'));
    assert.ok(msgs.some((m) => m.kind === 'packet' && m.packet.type === 'progress'));

    // Closing the connection aborts what is still running and posts nothing more.
    aborted.length = 0;
    const afterClose: ServerMessage[] = [];
    let closed = false;
    const c2 = connect(service, (m) => closed && afterClose.push(m));
    c2.receive({ kind: 'stream', id: 9, method: 'count', params: { n: 1000 } });
    await new Promise((r) => setTimeout(r, 30));
    closed = true;
    c2.close();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(aborted.length, 1, 'the running stream saw its abort signal');
    assert.deepEqual(afterClose, []);

    const errs = await collect(
      (send) => connect(service, send).receive({ kind: 'stream', id: 8, method: 'count', params: { n: 0 } }),
      (m) => m.kind === 'packet' && m.packet.type === 'error',
    );
    const err = errs.at(-1) as Extract<ServerMessage, { kind: 'packet' }>;
    assert.deepEqual(err.packet, {
      type: 'error',
      error: { code: 'badArgument', title: 'Nothing to count', suggestion: 'Ask for more' },
    });
  } finally {
    delete (streamParams as Record<string, unknown>).count;
  }
});
