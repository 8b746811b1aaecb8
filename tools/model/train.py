"""Stage 2: train reprise-tiny (a transformers LlamaForCausalLM) on freshly generated conversations.

    python3 tools/model/train.py --tok build/tok --out build/ckpt --budget 330

Data is generated on the fly by CPU worker processes (shard i is seeded with seed*1000003+i, so the
stream is fixed by --seed); each row is one conversation of up to 2049 tokens cut at a message
boundary, loss on assistant tokens (content + <|im_end|>) only. bf16 autocast, AdamW, warmup then a
warmup-stable-decay schedule driven by progress = max(step/max_steps, train_seconds/budget), so a
run always finishes its decay inside the time budget. The checkpoint is saved in float16 (the
released weights ARE these fp16 values; export and evaluation upcast them to fp32).
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import random
import sys
import time
from collections import deque

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from common import IM_END, IM_START, SEQ_LEN  # noqa: E402

_TOK = None
_CFG: tuple = ()


def _winit(tok_path: str, cfg: tuple):
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from tokenizers import Tokenizer

    global _TOK, _CFG
    _TOK = Tokenizer.from_file(tok_path)
    _CFG = cfg


def encode_conv(tok, msgs: list[dict]) -> tuple[list[int], list[int], list[int]]:
    texts: list[str] = []
    for m in msgs:
        texts += [m["role"] + "\n", m["content"], "\n"]
    encs = tok.encode_batch(texts, add_special_tokens=False)
    ids: list[int] = []
    mask: list[int] = []
    ends: list[int] = []
    for i, m in enumerate(msgs):
        h, b, nl = encs[3 * i].ids, encs[3 * i + 1].ids, encs[3 * i + 2].ids
        t = 1 if m["role"] == "assistant" else 0
        ids += [IM_START] + h + b + [IM_END] + nl
        mask += [0] * (1 + len(h)) + [t] * (len(b) + 1) + [0] * len(nl)
        ends.append(len(ids))
    return ids, mask, ends


def make_shard(idx: int):
    target_tokens, cpt, seed, rows = _CFG
    rng = random.Random(seed * 1_000_003 + idx)
    L = SEQ_LEN + 1
    X = np.zeros((rows, L), np.uint16)
    M = np.zeros((rows, L), np.uint8)
    used = 0
    for r in range(rows):
        msgs = data.build_conversation(rng, int(target_tokens * cpt * rng.uniform(0.95, 1.1)))
        ids, mask, ends = encode_conv(_TOK, msgs)
        cut = max([e for e in ends if e <= L], default=L)
        X[r, :cut] = ids[:cut]
        M[r, :cut] = mask[:cut]
        used += cut
    return idx, X, M, used


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tok", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget", type=float, default=330.0, help="training seconds after compilation")
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.02)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--stable-frac", type=float, default=0.6)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=1024)
    ap.add_argument("--workers", type=int, default=max(2, min(13, (os.cpu_count() or 4) - 3)))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--init", default="", help="continue from this checkpoint (fresh optimizer, new warmup)")
    args = ap.parse_args()

    stats = json.load(open(os.path.join(args.tok, "stats.json")))
    cpt = stats["chars_per_token"]
    vocab = stats["vocab"]
    # workers are forked before torch/CUDA is imported
    ctx = mp.get_context("fork")
    pool = ctx.Pool(args.workers, initializer=_winit,
                    initargs=(os.path.join(args.tok, "tokenizer.json"), (2150, cpt, args.seed, args.batch)))
    prefetch = 4 * args.workers
    pending = deque(pool.apply_async(make_shard, (i,)) for i in range(prefetch))
    next_idx = prefetch

    import torch
    import torch.nn.functional as F
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dev = torch.device("cuda")
    cfg = LlamaConfig(
        vocab_size=vocab, hidden_size=args.hidden, intermediate_size=args.ffn, num_hidden_layers=args.layers,
        num_attention_heads=args.heads, num_key_value_heads=args.kv_heads, head_dim=args.hidden // args.heads,
        max_position_embeddings=SEQ_LEN, rms_norm_eps=1e-5, tie_word_embeddings=True, bos_token_id=None,
        eos_token_id=IM_END, pad_token_id=0, attention_bias=False, mlp_bias=False, hidden_act="silu",
        initializer_range=0.02, use_cache=True,
    )
    if args.init:
        model = LlamaForCausalLM.from_pretrained(args.init, dtype=torch.float32, attn_implementation="sdpa").to(dev)
        cfg = model.config
        print(f"[train] continuing from {args.init}", flush=True)
    else:
        model = LlamaForCausalLM(cfg).to(dev)
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "embeddings not tied"
    n_params = sum(p.numel() for p in model.parameters())
    print(f"[train] params {n_params / 1e6:.2f}M  attn={model.config._attn_implementation}  cfg={cfg.to_dict()}", flush=True)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=True)

    def loss_fn(x, y):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            h = model.model(input_ids=x, use_cache=False).last_hidden_state
            logits = model.lm_head(h)
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.reshape(-1), ignore_index=-100)

    step_fn = loss_fn if args.no_compile else torch.compile(loss_fn)

    def next_batch():
        nonlocal next_idx
        _, X, M, used = pending.popleft().get()
        pending.append(pool.apply_async(make_shard, (next_idx,)))
        next_idx += 1
        t = torch.from_numpy(X.astype(np.int64)).pin_memory().to(dev, non_blocking=True)
        m = torch.from_numpy(M).pin_memory().to(dev, non_blocking=True)
        x = t[:, :-1]
        y = t[:, 1:].masked_fill(m[:, 1:] == 0, -100)
        return x, y, used, int(M[:, 1:].sum())

    def lr_at(step: int, progress: float) -> float:
        w = min(1.0, (step + 1) / args.warmup)
        if progress < args.stable_frac:
            return args.lr * w
        frac = (1 - progress) / (1 - args.stable_frac)
        return args.lr * w * max(args.min_lr_frac, frac)

    model.train()
    step, tokens, loss_tokens, progress = 0, 0, 0, 0.0
    t0 = time.time()
    t_train = None
    log = []
    ema = None
    while progress < 1.0:
        x, y, used, nl = next_batch()
        lr = lr_at(step, progress)
        for g in opt.param_groups:
            g["lr"] = lr
        try:
            loss = step_fn(x, y)
        except Exception as e:  # compilation problems: fall back to eager, loudly
            if step_fn is loss_fn:
                raise
            print(f"[train] torch.compile failed ({e!r}); falling back to eager", flush=True)
            step_fn = loss_fn
            loss = step_fn(x, y)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens += used
        loss_tokens += nl
        if t_train is None:
            torch.cuda.synchronize()
            t_train = time.time()
            print(f"[train] first step (incl. compile) {t_train - t0:.1f}s", flush=True)
        el = time.time() - t_train
        progress = max(step / args.max_steps, el / args.budget)
        if step % 100 == 0 or progress >= 1.0:
            lv = loss.item()
            ema = lv if ema is None else 0.9 * ema + 0.1 * lv
            rec = {"step": step, "loss": round(lv, 4), "lr": lr, "gnorm": round(float(gn), 3), "sec": round(el, 1),
                   "tok": tokens, "tok_s": round(tokens / max(el, 1e-6)), "progress": round(progress, 3)}
            log.append(rec)
            print(f"[train] {rec}", flush=True)
    torch.cuda.synchronize()
    train_s = time.time() - t_train
    pool.terminate()

    os.makedirs(args.out, exist_ok=True)
    model.eval()
    model.to(torch.float16).save_pretrained(args.out)
    info = {"params": n_params, "steps": step, "batch": args.batch, "seq_len": SEQ_LEN, "tokens_seen": tokens,
            "loss_tokens": loss_tokens, "train_seconds": round(train_s, 1), "wall_seconds_incl_compile": round(time.time() - t0, 1),
            "tokens_per_second": round(tokens / train_s), "final_loss": log[-1]["loss"] if log else None,
            "lr": args.lr, "warmup": args.warmup, "wd": args.wd, "seed": args.seed, "budget": args.budget, "init": args.init,
            "gpu": torch.cuda.get_device_name(0), "torch": torch.__version__,
            "transformers": __import__("transformers").__version__, "log": log}
    json.dump(info, open(os.path.join(args.out, "train_info.json"), "w"), indent=1)
    print(f"[train] done: {step} steps, {tokens / 1e6:.1f}M tokens in {train_s:.0f}s ({tokens / train_s / 1e6:.2f}M tok/s)", flush=True)


if __name__ == "__main__":
    main()
