"""Stage 3: export the checkpoint to the Optimum ONNX layout and assemble the model folder.

    python3 tools/model/export_onnx.py --ckpt build/ckpt --tok build/tok --out build/reprise-tiny

The graph is traced (torch.onnx.export, dynamo=False, opset 18) from `Decoder`, a plain-PyTorch
re-statement of the transformers Llama forward that shares the checkpoint's modules and takes the
KV cache as flat tensors:
  inputs  input_ids [b, s] int64, attention_mask [b, past+s] int64, position_ids [b, s] int64,
          past_key_values.N.key / .value [b, kv_heads, past, head_dim] float32
  outputs logits [b, s, vocab] float32, present.N.key / .value [b, kv_heads, past+s, head_dim] float32
Keys are cached after RoPE (as transformers does). A key j is visible to query i iff
attention_mask[j] == 1 and (cumsum(attention_mask)[j] - 1) <= position_ids[i], i.e. ordinary causal
attention for unpadded input and correct attention with left padding.
Weight matrices are stored as float16 initializers followed by a Cast to float32 (compute and KV
stay float32). `Decoder` is checked against transformers' own forward, and onnxruntime against
`Decoder`, for an empty past, a chunked prefill and single-token decode steps.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ENDOFTEXT, IM_END  # noqa: E402


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Decoder(torch.nn.Module):
    def __init__(self, lm):
        super().__init__()
        self.lm = lm
        c = lm.config
        self.nh, self.nkv, self.hd = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        self.rep = self.nh // self.nkv
        self.scale = self.hd ** -0.5
        rot = lm.model.rotary_emb
        self.register_buffer("inv_freq", rot.inv_freq.detach().clone().float(), persistent=False)
        self.attn_scaling = float(getattr(rot, "attention_scaling", 1.0))

    def forward(self, input_ids, attention_mask, position_ids, *past):
        m = self.lm.model
        x = m.embed_tokens(input_ids)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = (emb.cos() * self.attn_scaling).unsqueeze(1)
        sin = (emb.sin() * self.attn_scaling).unsqueeze(1)
        kpos = torch.cumsum(attention_mask, dim=-1) - 1
        allowed = (kpos[:, None, None, :] <= position_ids[:, None, :, None]) & (attention_mask[:, None, None, :] > 0)
        bias = torch.where(allowed, torch.tensor(0.0), torch.tensor(torch.finfo(torch.float32).min))
        cos5, sin5, bias5 = cos.unsqueeze(1), sin.unsqueeze(1), bias.unsqueeze(2)
        presents = []
        for i, layer in enumerate(m.layers):
            a = layer.self_attn
            h = layer.input_layernorm(x)
            # grouped-query attention without materialising repeated K/V: query head j*rep+r uses KV head j
            q = a.q_proj(h).unflatten(-1, (self.nkv, self.rep, self.hd)).permute(0, 2, 3, 1, 4)  # b,kv,rep,s,d
            k = a.k_proj(h).unflatten(-1, (self.nkv, self.hd)).transpose(1, 2)  # b,kv,s,d
            v = a.v_proj(h).unflatten(-1, (self.nkv, self.hd)).transpose(1, 2)
            q = q * cos5 + rotate_half(q) * sin5
            k = k * cos + rotate_half(k) * sin
            k = torch.cat((past[2 * i], k), dim=2)
            v = torch.cat((past[2 * i + 1], v), dim=2)
            presents += [k, v]
            w = torch.matmul(q.flatten(2, 3), k.transpose(-1, -2))  # b,kv,rep*s,total
            w = w.unflatten(2, (self.rep, -1)) * self.scale + bias5  # b,kv,rep,s,total
            w = torch.softmax(w, dim=-1)
            o = torch.matmul(w.flatten(2, 3), v).unflatten(2, (self.rep, -1))  # b,kv,rep,s,d
            o = o.permute(0, 3, 1, 2, 4).flatten(2)  # b,s,heads*d
            x = x + a.o_proj(o)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        logits = self.lm.lm_head(m.norm(x))
        return (logits, *presents)


def load_fp32(ckpt: str):
    from transformers import LlamaForCausalLM

    lm = LlamaForCausalLM.from_pretrained(ckpt, dtype=torch.float32, attn_implementation="eager")
    lm.eval()
    for p in lm.parameters():  # exact fp16 values, held in fp32
        assert torch.equal(p.data, p.data.half().float())
    return lm


def io_names(n_layers: int):
    past = [f"past_key_values.{i}.{kv}" for i in range(n_layers) for kv in ("key", "value")]
    pres = [f"present.{i}.{kv}" for i in range(n_layers) for kv in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids", *past], ["logits", *pres]


def export(lm, path: str):
    dec = Decoder(lm).eval()
    c = lm.config
    ins, outs = io_names(c.num_hidden_layers)
    b, s, p = 2, 3, 4
    ids = torch.randint(3, c.vocab_size, (b, s))
    am = torch.ones(b, p + s, dtype=torch.int64)
    pos = torch.arange(p, p + s).unsqueeze(0).expand(b, -1).contiguous()
    past = [torch.randn(b, c.num_key_value_heads, p, c.head_dim) for _ in range(2 * c.num_hidden_layers)]
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in ins[3:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in outs[1:]:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad():
        torch.onnx.export(dec, (ids, am, pos, *past), path, input_names=ins, output_names=outs, dynamic_axes=dyn,
                          opset_version=18, do_constant_folding=False, dynamo=False)
    return dec


def weights_to_fp16(path: str, min_elems: int = 1024):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(path)
    g = m.graph
    inits, casts = [], []
    n16 = 0
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elems:
            arr = numpy_helper.to_array(init)
            h = arr.astype(np.float16)
            assert np.array_equal(h.astype(np.float32), arr), f"{init.name} is not fp16-exact"
            t = numpy_helper.from_array(h, init.name + "_fp16")
            inits.append(t)
            casts.append(helper.make_node("Cast", [t.name], [init.name], to=TensorProto.FLOAT, name=init.name + "_to_fp32"))
            n16 += arr.size
        else:
            inits.append(init)
    del g.initializer[:]
    g.initializer.extend(inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    m.producer_name = "reprise tools/model/export_onnx.py"
    onnx.checker.check_model(m)
    onnx.save(m, path)
    print(f"[export] {n16 / 1e6:.2f}M weights stored as float16; {len(g.node)} nodes; {os.path.getsize(path) / 1e6:.1f} MB", flush=True)


@torch.no_grad()
def verify(lm, dec, path: str, seed: int = 0) -> dict:
    import onnxruntime as ort

    torch.manual_seed(seed)
    c = lm.config
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ins, outs = io_names(c.num_hidden_layers)
    L = c.num_hidden_layers

    def empty(b=1):
        return [torch.zeros(b, c.num_key_value_heads, 0, c.head_dim) for _ in range(2 * L)]

    def run_ort(ids, am, pos, past):
        feed = {"input_ids": ids.numpy(), "attention_mask": am.numpy(), "position_ids": pos.numpy()}
        feed.update({n: t.numpy() for n, t in zip(ins[3:], past)})
        r = sess.run(None, feed)
        return [torch.from_numpy(x) for x in r]

    res = {}
    seq = torch.randint(3, c.vocab_size, (1, 300))
    ref = lm(input_ids=seq).logits  # transformers, full sequence
    # 1) Decoder vs transformers: empty past, whole sequence
    am = torch.ones(1, 300, dtype=torch.int64)
    pos = torch.arange(300)[None]
    out = dec(seq, am, pos, *empty())
    res["decoder_vs_hf_prefill"] = float((out[0] - ref).abs().max())
    # 2) chunked: 200 tokens, then 97, then 3 single steps, each against transformers' logits
    o1 = dec(seq[:, :200], am[:, :200], pos[:, :200], *empty())
    o2 = dec(seq[:, 200:297], am[:, :297], pos[:, 200:297], *o1[1:])
    d = [float((o2[0] - ref[:, 200:297]).abs().max())]
    pres = o2[1:]
    for t in range(297, 300):
        o = dec(seq[:, t:t + 1], am[:, :t + 1], pos[:, t:t + 1], *pres)
        d.append(float((o[0][:, -1] - ref[:, t]).abs().max()))
        pres = o[1:]
    res["decoder_vs_hf_chunked_decode"] = max(d)
    # 3) onnxruntime vs Decoder: empty past, chunk with past, single steps
    r1 = run_ort(seq[:, :200], am[:, :200], pos[:, :200], empty())
    res["ort_vs_torch_prefill_empty_past"] = float((r1[0] - o1[0]).abs().max())
    res["ort_present_max_diff"] = max(float((a - b).abs().max()) for a, b in zip(r1[1:], o1[1:]))
    r2 = run_ort(seq[:, 200:297], am[:, :297], pos[:, 200:297], r1[1:])
    res["ort_vs_torch_chunk_with_past"] = float((r2[0] - o2[0]).abs().max())
    pres, dd = r2[1:], []
    for t in range(297, 300):
        r = run_ort(seq[:, t:t + 1], am[:, :t + 1], pos[:, t:t + 1], pres)
        dd.append(float((r[0][:, -1] - ref[:, t]).abs().max()))
        pres = r[1:]
    res["ort_vs_hf_decode_steps"] = max(dd)
    # 4) batch of 2 with left padding in ORT vs unpadded single rows in transformers
    a_ids, b_ids = seq[:, :40], seq[:, 100:130]
    ids2 = torch.cat([a_ids, torch.cat([torch.zeros(1, 10, dtype=torch.int64), b_ids], 1)])
    am2 = torch.ones(2, 40, dtype=torch.int64)
    am2[1, :10] = 0
    pos2 = (am2.cumsum(-1) - 1).clamp(min=0)
    r = run_ort(ids2, am2, pos2, empty(2))
    ra = lm(input_ids=a_ids).logits
    rb = lm(input_ids=b_ids).logits
    res["ort_left_padding_batch"] = max(float((r[0][0] - ra[0]).abs().max()), float((r[0][1, 10:] - rb[0]).abs().max()))
    res["logit_scale"] = float(ref.abs().max())
    ok = all(v < 2e-3 for k, v in res.items() if k != "logit_scale")
    res["ok"] = ok
    print(f"[export] verification: {json.dumps(res)}", flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tok", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(min(16, os.cpu_count() or 4))
    lm = load_fp32(args.ckpt)
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    path = os.path.join(args.out, "onnx", "model.onnx")
    dec = export(lm, path)
    weights_to_fp16(path)
    res = verify(lm, dec, path)
    if not res["ok"]:
        raise SystemExit("[export] ONNX verification FAILED")
    # model folder
    c = lm.config
    cfg = json.load(open(os.path.join(args.ckpt, "config.json")))
    cfg["torch_dtype"] = "float32"  # what the ONNX graph computes in (weights are stored as fp16)
    cfg.pop("dtype", None)
    cfg["bos_token_id"] = None
    cfg["eos_token_id"] = IM_END
    cfg["pad_token_id"] = ENDOFTEXT
    cfg["use_cache"] = True
    cfg["rope_theta"] = float((cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0))  # for older readers
    cfg["transformers.js_config"] = {"kv_cache_dtype": "float32"}
    json.dump(cfg, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    gen = {"bos_token_id": None, "eos_token_id": [IM_END, ENDOFTEXT], "pad_token_id": ENDOFTEXT, "do_sample": False,
           "max_new_tokens": 256}
    json.dump(gen, open(os.path.join(args.out, "generation_config.json"), "w"), indent=2)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(args.tok, f), os.path.join(args.out, f))
    os.makedirs(os.path.join(args.out, "eval"), exist_ok=True)
    json.dump(res, open(os.path.join(args.out, "eval", "export_check.json"), "w"), indent=2)
    print(f"[export] model folder ready: {args.out} (layers={c.num_hidden_layers}, kv_heads={c.num_key_value_heads}, head_dim={c.head_dim})", flush=True)


if __name__ == "__main__":
    main()
