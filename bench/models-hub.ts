// The hub stand-in in its own process for the download bench, so that the server never shares a thread
// with the client being measured (curl or Reprise). Serves the fixture repos plus a large random weights
// file; prints the URL on its first stdout line, then serves until stdin closes.
import { randomFillSync } from 'node:crypto';
import { FIXTURES_DIR } from '../tools/fixtures/build.ts';
import { fixtureRepos, HubStandIn } from '../src/main/models/hub-stand-in.testkit.ts';

const mb = Number(process.argv[2] ?? 64);
const weights = randomFillSync(Buffer.allocUnsafe(mb * 2 ** 20));
const tiny = fixtureRepos(FIXTURES_DIR)[0]!;
const hub = new HubStandIn([
  { ...tiny, id: 'reprise-bench/big-ONNX', extra: { ...tiny.extra, 'onnx/model.onnx_data': weights } },
]);
console.log(await hub.start());
process.stdin.resume();
process.stdin.on('end', () => void hub.stop().then(() => process.exit(0)));
