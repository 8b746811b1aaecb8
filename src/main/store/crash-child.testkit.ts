// Child process for crash-safety.test.ts: writes turns (messages + KV blocks) forever, printing each
// committed turn, until the parent SIGKILLs it.
import { tokenLog } from '../kv/synth.testkit.ts';
import { Store } from './store.ts';
import { writeTurn } from './store.testkit.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child.testkit.ts DIR');
const store = Store.open(dir);
let i = 0;
for (;;) {
  const c = store.conversations.create({ title: `c${i}` });
  let parent: string | null = null;
  for (let turn = 0; turn < 4; turn++, i++) {
    const t = await writeTurn(store, c.id, parent, tokenLog(20 + (i % 23), i + 1), tokenLog(15, i + 1000));
    parent = t.asst.id;
    process.stdout.write(`committed ${t.asst.id}\n`);
  }
}
