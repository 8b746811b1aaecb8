"""Stage 4: held-out evaluation (PyTorch on GPU and onnxruntime on CPU), parity set, CPU decode speed.

    python3 tools/model/evaluate.py --ckpt build/ckpt --model build/reprise-tiny

Writes into <model>/eval/:
  heldout.jsonl  ~214 held-out prompts: {id, category, messages, expected, check, max_new_tokens, ...}
  parity.jsonl   50 held-out prompts with prompt_ids and PyTorch's (CPU, fp32) 32 greedy ids
                 (no stop at <|im_end|>)
  results.json   accuracy per category for PyTorch and onnxruntime, parity, speed, every reply.
Checks (common.check): contains = expected appears with non-alphanumeric boundaries and the reply
ended with <|im_end|>; fluent = ended, ASCII, >= 2 words, ends with . ! or ?, no word three times
in a row, no repeated sentence; uppercase; endswith; any_of (case-insensitive substring).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from common import STOP_IDS, OrtLM, check, ort_worker_init, ort_worker_run, render  # noqa: E402

EVAL_SEED = 4242


def build_items(tok) -> list[dict]:
    rng = random.Random(EVAL_SEED)

    def enc(msgs, gen=True):
        return tok.encode(render(msgs, gen), add_special_tokens=False).ids

    items: list[dict] = []
    n = 0
    while n < 100:
        gap = rng.randint(2400, 6500)
        msgs, v, key, midx = data.eval_recall(rng, gap)
        ids = enc(msgs)
        if len(ids) > 1990:
            continue
        dist = len(ids) - len(enc(msgs[:midx + 1], False))
        if dist < 500:
            continue
        items.append({"id": f"recall-{n:03d}", "category": "recall", "fact": key, "messages": msgs, "expected": v,
                      "check": "contains", "max_new_tokens": 40, "prompt_tokens": len(ids), "distance_tokens": dist})
        n += 1
    for i in range(60):
        op = "+" if i % 2 == 0 else "-"
        msgs, ans = data.eval_arith(rng, op, rng.choice([0, 0, 1, 2, 4]))
        items.append({"id": f"arith-{i:03d}", "category": "arithmetic", "op": op, "messages": msgs, "expected": ans,
                      "check": "contains", "max_new_tokens": 32, "prompt_tokens": len(enc(msgs))})
    for i in range(20):
        kind = ["persona", "userfact", "upper", "signoff"][i % 4]
        msgs, exp, chk = data.eval_system(rng, kind)
        items.append({"id": f"system-{i:03d}", "category": "system", "kind": kind, "messages": msgs, "expected": exp,
                      "check": chk, "max_new_tokens": 64, "prompt_tokens": len(enc(msgs))})
    for i in range(24):
        msgs = data.eval_smalltalk(rng)
        items.append({"id": f"smalltalk-{i:03d}", "category": "smalltalk", "messages": msgs, "expected": None,
                      "check": "fluent", "max_new_tokens": 160, "prompt_tokens": len(enc(msgs))})
    for i in range(10):
        msgs, exp = data.eval_unknown(rng)
        items.append({"id": f"unknown-{i:03d}", "category": "unknown", "messages": msgs, "expected": exp,
                      "check": "any_of", "max_new_tokens": 40, "prompt_tokens": len(enc(msgs))})
    return items


def summarize(items, outs, key):
    cats: dict[str, list[int]] = {}
    for it in items:
        o = outs[it["id"]]
        cats.setdefault(it["category"], []).append(int(o[key + "_pass"]))
        if it["category"] == "arithmetic":
            cats.setdefault("arithmetic" + it["op"], []).append(int(o[key + "_pass"]))
        if it["category"] == "system":
            cats.setdefault("system." + it["kind"], []).append(int(o[key + "_pass"]))
    return {c: {"n": len(v), "pass": sum(v), "acc": round(sum(v) / len(v), 4)} for c, v in sorted(cats.items())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ort-workers", type=int, default=7)
    args = ap.parse_args()
    import torch
    from tokenizers import Tokenizer
    from transformers import LlamaForCausalLM

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    t0 = time.time()
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    onnx_path = os.path.join(args.model, "onnx", "model.onnx")
    items = build_items(tok)
    for it in items:
        it["prompt_ids"] = tok.encode(render(it["messages"], True), add_special_tokens=False).ids
    # parity prompts: a mix of held-out items
    by = {}
    for it in items:
        by.setdefault(it["category"], []).append(it)
    par_src = by["recall"][:15] + by["arithmetic"][:15] + by["smalltalk"][:10] + by["system"][:5] + by["unknown"][:5]
    print(f"[eval] {len(items)} held-out items, {len(par_src)} parity prompts built in {time.time() - t0:.1f}s", flush=True)

    # onnxruntime in background worker processes (CPU), while PyTorch runs on the GPU
    ctx = mp.get_context("spawn")
    pool = ctx.Pool(args.ort_workers, initializer=ort_worker_init, initargs=(onnx_path, 2))
    jobs = [(i, it["prompt_ids"], it["max_new_tokens"], True) for i, it in enumerate(items)]
    jobs += [(len(items) + j, it["prompt_ids"], 32, False) for j, it in enumerate(par_src)]
    jobs.sort(key=lambda j: -len(j[1]))  # long prompts first
    async_res = pool.map_async(ort_worker_run, jobs, chunksize=1)

    lm = LlamaForCausalLM.from_pretrained(args.ckpt, dtype=torch.float32, attn_implementation="sdpa").eval()

    @torch.no_grad()
    def greedy(model, prompt, max_new, stop, dev):
        out = model(input_ids=torch.tensor([prompt], device=dev), use_cache=True)
        past, logits = out.past_key_values, out.logits[0, -1]
        res = []
        for _ in range(max_new):
            nxt = int(logits.argmax())
            res.append(nxt)
            if stop and nxt in STOP_IDS:
                return res, True
            out = model(input_ids=torch.tensor([[nxt]], device=dev), past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[0, -1]
        return res, False

    def text_of(ids):
        return tok.decode([i for i in ids if i not in STOP_IDS], skip_special_tokens=False)

    gpu = lm.to("cuda")
    t1 = time.time()
    outs = {}
    for it in items:
        ids, stopped = greedy(gpu, it["prompt_ids"], it["max_new_tokens"], True, "cuda")
        txt = text_of(ids)
        outs[it["id"]] = {"torch_ids": ids, "torch_text": txt, "torch_stopped": stopped, "torch_pass": check(it, txt, stopped)}
    gpu_par = [greedy(gpu, it["prompt_ids"], 32, False, "cuda")[0] for it in par_src]
    print(f"[eval] PyTorch GPU greedy done in {time.time() - t1:.1f}s", flush=True)
    torch_summary = summarize(items, outs, "torch")
    print(f"[eval] PyTorch: {json.dumps(torch_summary)}", flush=True)

    t2 = time.time()
    ort_res = async_res.get()
    pool.close()
    pool.join()
    print(f"[eval] onnxruntime greedy done (waited {time.time() - t2:.1f}s)", flush=True)
    ort_by_idx = {i: (ids, st) for i, ids, st in ort_res}
    for i, it in enumerate(items):
        ids, stopped = ort_by_idx[i]
        txt = text_of(ids)
        o = outs[it["id"]]
        o.update({"ort_ids": ids, "ort_text": txt, "ort_stopped": stopped, "ort_pass": check(it, txt, stopped)})
        o["same_ids"] = ids == o["torch_ids"]
    ort_summary = summarize(items, outs, "ort")
    print(f"[eval] onnxruntime: {json.dumps(ort_summary)}", flush=True)

    # parity reference: PyTorch on CPU, fp32 (what onnxruntime-node will be compared with)
    t3 = time.time()
    torch.set_num_threads(min(16, os.cpu_count() or 4))
    cpu = lm.to("cpu")
    parity_rows, n_equal, n_gpu_equal, first_diff = [], 0, 0, []
    for j, it in enumerate(par_src):
        ref, _ = greedy(cpu, it["prompt_ids"], 32, False, "cpu")
        ort_ids = ort_by_idx[len(items) + j][0]
        n_equal += ort_ids == ref
        n_gpu_equal += gpu_par[j] == ref
        if ort_ids != ref:
            first_diff.append({"id": it["id"], "pos": next(k for k, (a, b) in enumerate(zip(ort_ids, ref)) if a != b)})
        parity_rows.append({"id": it["id"], "category": it["category"], "messages": it["messages"],
                            "prompt_ids": it["prompt_ids"], "max_new_tokens": 32, "stop_at_eos": False,
                            "greedy_ids": ref, "greedy_text": tok.decode(ref, skip_special_tokens=False)})
    print(f"[eval] parity: onnxruntime == PyTorch(CPU) on {n_equal}/{len(par_src)}; PyTorch GPU == CPU on "
          f"{n_gpu_equal}/{len(par_src)} ({time.time() - t3:.1f}s) {first_diff}", flush=True)

    # decode speed, onnxruntime CPU, 2 threads (a rough stand-in for a 2-core laptop)
    ortlm = OrtLM(onnx_path, threads=2)
    speed = {}
    for ctx_len in (32, 1000):
        prompt = [3 + (k * 7919) % 4000 for k in range(ctx_len)]
        ortlm.greedy(prompt[:16], 8, False)  # warm-up
        t = time.time()
        logits, past = ortlm.step(prompt, ortlm.empty_past(), 0)
        t_pref = time.time() - t
        n = 128
        t = time.time()
        pos = ctx_len
        nxt = int(logits[0, -1].argmax())
        for _ in range(n):
            logits, past = ortlm.step([nxt], past, pos)
            nxt = int(logits[0, -1].argmax())
            pos += 1
        dt = time.time() - t
        speed[f"ctx{ctx_len}"] = {"prefill_tok_s": round(ctx_len / t_pref, 1), "decode_tok_s": round(n / dt, 1)}
    print(f"[eval] ORT CPU speed (2 threads, {os.cpu_count()}-core host): {json.dumps(speed)}", flush=True)

    ev = os.path.join(args.model, "eval")
    os.makedirs(ev, exist_ok=True)
    with open(os.path.join(ev, "heldout.jsonl"), "w") as f:
        for it in items:
            row = {k: v for k, v in it.items() if k != "prompt_ids"}
            f.write(json.dumps(row) + "\n")
    with open(os.path.join(ev, "parity.jsonl"), "w") as f:
        for row in parity_rows:
            f.write(json.dumps(row) + "\n")
    same = sum(o["same_ids"] for o in outs.values())
    results = {
        "pytorch": torch_summary, "onnxruntime": ort_summary,
        "recall_distance_tokens": {"min": min(it["distance_tokens"] for it in by["recall"]),
                                   "mean": round(sum(it["distance_tokens"] for it in by["recall"]) / len(by["recall"]), 1),
                                   "max": max(it["distance_tokens"] for it in by["recall"])},
        "torch_vs_ort_identical_replies": f"{same}/{len(items)}",
        "parity": {"onnxruntime_equals_pytorch_cpu": f"{n_equal}/{len(par_src)}",
                   "pytorch_gpu_equals_cpu": f"{n_gpu_equal}/{len(par_src)}", "first_diffs": first_diff},
        "speed_onnxruntime_cpu_2threads": speed,
        "items": [{"id": it["id"], "expected": it["expected"], **{k: v for k, v in outs[it["id"]].items() if not k.endswith("_ids")}}
                  for it in items],
        "eval_seconds": round(time.time() - t0, 1),
    }
    json.dump(results, open(os.path.join(ev, "results.json"), "w"), indent=1)
    for it in items[:: max(1, len(items) // 25)]:
        o = outs[it["id"]]
        print(f"[sample] {it['id']} | {it['messages'][-1]['content'][:70]!r} -> {o['ort_text'][:110]!r} "
              f"{'OK' if o['ort_pass'] else 'FAIL'} (expected {it['expected']!r})", flush=True)
    print(f"[eval] done in {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
