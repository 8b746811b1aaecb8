// The engine worker with one more operation, for the bench and the int8 test: the bare ORT loop runs in the
// same worker, on the same session, as the engine it is compared with.
import { bareDecode } from './bare-decode.testkit.ts';
import { serveEngine } from './serve.ts';

serveEngine({
  bareDecode: (model, args) => {
    const { prompt, n } = args as { prompt: number[]; n: number };
    return bareDecode(model, prompt, n);
  },
});
