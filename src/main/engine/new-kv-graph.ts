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
export function rewriteForNewKv(
  bytes: Uint8Array,
  o: { splitAttention?: boolean } = {},
): { bytes: Uint8Array; layers: number; splitLayers: number } | { reason: string } {
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
  let split = 0;
  for (const out of presents) {
    const name = out.name!;
    if (!name.endsWith('.key') || o.splitAttention === false) continue;
    if (splitAttention(g, name.slice(0, -'.key'.length))) split++;
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), layers: presents.length / 2, splitLayers: split };
}

/**
 * Attention that reads past and new K/V separately, when a layer has the plain pattern
 *   kt = Transpose(K, perm [0,1,3,2]); scores = MatMul(q, kt); …; out = MatMul(probs, V)
 * with K = Concat(past_k, new_k) and V = Concat(past_v, new_v) used by nothing else. It becomes
 *   scores = Concat(MatMul(q, Tᵀ(past_k)), MatMul(q, Tᵀ(new_k)), axis -1)
 *   out    = MatMul(probs[…, :P], past_v) + MatMul(probs[…, P:], new_v),  P = past length
 * so no step copies the whole past into a concatenated tensor (ORT's Concat would, every step).
 */
function splitAttention(g: onnxProto.onnx.IGraphProto, present: string): boolean {
  const nodes = g.node!;
  const kFull = `${present}.key.with_past`;
  const vFull = `${present}.value.with_past`;
  const uses = (x: string) => nodes.filter((n) => n.input?.includes(x));
  const concatOf = (x: string) => nodes.find((n) => n.output?.[0] === x && n.opType === 'Concat');
  const kCat = concatOf(kFull);
  const vCat = concatOf(vFull);
  const kUse = uses(kFull);
  const vUse = uses(vFull);
  if (!kCat || !vCat || kUse.length !== 1 || vUse.length !== 1) return false;
  const tr = kUse[0]!;
  const perm = tr.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
  if (tr.opType !== 'Transpose' || perm?.join() !== '0,1,3,2') return false;
  const trUse = uses(tr.output![0]!);
  const qk = trUse[0];
  const pv = vUse[0]!;
  if (trUse.length !== 1 || !qk?.input || qk.opType !== 'MatMul' || qk.input[1] !== tr.output![0]) return false;
  if (pv.opType !== 'MatMul' || pv.input?.[1] !== vFull) return false;
  const [pastK, newK] = kCat.input as [string, string];
  const [pastV, newV] = vCat.input as [string, string];
  const q = qk.input[0]!;
  const probs = pv.input[0]!;
  const id = (s: string) => `${present}.split.${s}`;
  const int64 = (name: string, v: number[]) => {
    g.initializer!.push({
      name,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [v.length],
      int64Data: v,
    });
    return name;
  };
  const perms = [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 1, 3, 2] }];
  const axisLast = [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }];
  const add: onnxProto.onnx.INodeProto[] = [
    { opType: 'Transpose', input: [pastK], output: [id('kt_past')], attribute: perms, name: id('tp') },
    { opType: 'Transpose', input: [newK], output: [id('kt_new')], attribute: perms, name: id('tn') },
    { opType: 'MatMul', input: [q, id('kt_past')], output: [id('s_past')], name: id('mp') },
    { opType: 'MatMul', input: [q, id('kt_new')], output: [id('s_new')], name: id('mn') },
    {
      opType: 'Concat',
      input: [id('s_past'), id('s_new')],
      output: [qk.output![0]!],
      attribute: axisLast,
      name: id('cs'),
    },
    {
      opType: 'Shape',
      input: [pastK],
      output: [id('past_len')],
      attribute: [
        { name: 'start', type: onnx.AttributeProto.AttributeType.INT, i: 2 },
        { name: 'end', type: onnx.AttributeProto.AttributeType.INT, i: 3 },
      ],
      name: id('len'),
    },
    {
      opType: 'Slice',
      input: [probs, int64(id('zero'), [0]), id('past_len'), int64(id('axis'), [-1])],
      output: [id('p_past')],
      name: id('sp'),
    },
    {
      opType: 'Slice',
      input: [probs, id('past_len'), int64(id('end'), [Number.MAX_SAFE_INTEGER]), id('axis')],
      output: [id('p_new')],
      name: id('sn'),
    },
    { opType: 'MatMul', input: [id('p_past'), pastV], output: [id('o_past')], name: id('op') },
    { opType: 'MatMul', input: [id('p_new'), newV], output: [id('o_new')], name: id('on') },
    { opType: 'Add', input: [id('o_past'), id('o_new')], output: [pv.output![0]!], name: id('sum') },
  ];
  const drop = new Set([kCat, vCat, tr, qk, pv]);
  g.node = [...nodes.filter((n) => !drop.has(n)), ...add];
  return true;
}
