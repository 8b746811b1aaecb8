// A decoder graph rewritten once at load so each `present.N.key/value` output carries only the new tokens'
// K/V instead of concat(past, new). onnxruntime-node copies every output into a fresh JS buffer, so the full
// `present` cost O(context) copies and garbage per decode step; with new-only outputs the engine keeps the
// past in buffers of its own (slot-kv.ts) that ORT reads in place (inputs are wrapped, not copied).
//
// The engine then feeds a past with more slots than tokens and masks the spare slots through attention_mask,
// so the rewrite is only taken for graphs that read positions from position_ids (a graph that derives
// positions from the past length would place the new tokens wrongly).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const PRESENT = /^present\.(\d+)\.(key|value)$/;
const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/**
 * The model bytes with every present output replaced by the new tokens' K/V, or null with the reason when the
 * graph does not have the expected shape: every present output made by Concat(past_key_values.N.x, new) on
 * the sequence axis, and position_ids + attention_mask inputs.
 */
export function rewriteForNewKv(bytes: Uint8Array): { bytes: Uint8Array } | { reason: string } {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return { reason: `cannot parse the graph (${(e as Error).message})` }; // the session load reports it properly
  }
  const g = model.graph;
  if (!g?.node || !g.output || !g.input) return { reason: 'no graph' };
  const inputs = new Set(g.input.map((i) => i.name));
  if (!inputs.has('position_ids') || !inputs.has('attention_mask'))
    return { reason: 'the graph has no position_ids or attention_mask input' };
  const presents = g.output.filter((o) => PRESENT.test(o.name ?? ''));
  if (presents.length === 0) return { reason: 'no present outputs' };
  const producer = new Map<string, onnxProto.onnx.INodeProto>();
  for (const node of g.node) for (const o of node.output ?? []) producer.set(o, node);
  const added: onnxProto.onnx.INodeProto[] = [];
  const renamed = new Map<string, string>();
  for (const out of presents) {
    const name = out.name!;
    const [, layer, which] = PRESENT.exec(name)!;
    const node = producer.get(name);
    const axis = node?.attribute?.find((a) => a.name === 'axis')?.i;
    const past = node?.input?.[0] ?? '';
    const pastMatch = PAST.exec(past);
    if (
      node?.opType !== 'Concat' ||
      node.input?.length !== 2 ||
      !pastMatch ||
      pastMatch[1] !== layer ||
      pastMatch[2] !== which ||
      !(Number(axis) === 2 || Number(axis) === -2)
    )
      return { reason: `${name} is not Concat(${`past_key_values.${layer}.${which}`}, new) on the sequence axis` };
    const full = `${name}.with_past`;
    node.output![0] = full;
    renamed.set(name, full);
    added.push({ opType: 'Identity', input: [node.input[1]!], output: [name], name: `${name}.new_only` });
    // The output now has the input's sequence length, not the total one.
    const dims = out.type?.tensorType?.shape?.dim;
    if (dims?.[2]) dims[2] = { dimParam: 'sequence_length' };
  }
  for (const node of g.node) node.input = (node.input ?? []).map((i) => renamed.get(i) ?? i);
  g.node.push(...added);
  return { bytes: onnx.ModelProto.encode(model).finish() };
}
