"""Shared constants and helpers: chat template, answer checks, greedy decoding with onnxruntime.

Imports only the standard library, numpy and (lazily) onnxruntime, so it is safe in worker processes.
"""
from __future__ import annotations

import re

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ENDOFTEXT, IM_START, IM_END = 0, 1, 2
STOP_IDS = (IM_END, ENDOFTEXT)
SEQ_LEN = 2048

# Llama-3's pre-tokenizer regex with single digits (\p{N} instead of \p{N}{1,3}): numbers are spelt
# digit by digit, which makes arithmetic learnable for a tiny model.
SPLIT_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
                 r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- endif -%}"
)


def render(messages: list[dict], add_generation_prompt: bool = False) -> str:
    s = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return s + ("<|im_start|>assistant\n" if add_generation_prompt else "")


# ----------------------------------------------------------------------------- checks
def _boundary_contains(text: str, expected: str) -> bool:
    return re.search(r"(^|[^A-Za-z0-9])" + re.escape(expected) + r"($|[^A-Za-z0-9])", text) is not None


def is_fluent(text: str, stopped: bool) -> bool:
    t = text.strip()
    words = re.findall(r"[A-Za-z']+", t)
    if not stopped or len(words) < 2 or re.search(r"[^\x20-\x7e]", t):
        return False
    low = [w.lower() for w in words]
    if any(low[i] == low[i + 1] == low[i + 2] for i in range(len(low) - 2)):
        return False
    sents = [s.strip() for s in re.split(r"(?<=[.!?])\s+", t) if s.strip()]
    if len(sents) != len(set(sents)):
        return False
    return t[-1] in ".!?"


def check(item: dict, text: str, stopped: bool) -> bool:
    """The pass rule for one held-out item (mirrored by tools/model/eval.ts)."""
    kind, exp = item["check"], item["expected"]
    if kind == "contains":
        return stopped and _boundary_contains(text, exp)
    if kind == "any_of":
        return stopped and any(e.lower() in text.lower() for e in exp)
    if kind == "uppercase":
        return stopped and any(c.isalpha() for c in text) and text == text.upper()
    if kind == "endswith":
        return stopped and text.strip().endswith(exp)
    if kind == "fluent":
        return is_fluent(text, stopped)
    raise ValueError(kind)


# ----------------------------------------------------------------------------- onnxruntime greedy
class OrtLM:
    def __init__(self, path: str, threads: int = 2):
        import numpy as np
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.np = np
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.pasts = [i for i in self.sess.get_inputs() if i.name.startswith("past_key_values.")]
        self.outs = [o.name for o in self.sess.get_outputs()]

    def empty_past(self):
        np = self.np
        return {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32) for i in self.pasts}

    def step(self, ids: list[int], past: dict, past_len: int):
        np = self.np
        n = len(ids)
        feed = {
            "input_ids": np.array([ids], np.int64),
            "attention_mask": np.ones((1, past_len + n), np.int64),
            "position_ids": np.arange(past_len, past_len + n, dtype=np.int64)[None],
            **past,
        }
        res = dict(zip(self.outs, self.sess.run(None, feed)))
        new_past = {k.replace("present.", "past_key_values."): v for k, v in res.items() if k.startswith("present.")}
        return res["logits"], new_past

    def greedy(self, prompt: list[int], max_new: int, stop: bool = True) -> tuple[list[int], bool]:
        logits, past = self.step(prompt, self.empty_past(), 0)
        pos = len(prompt)
        out: list[int] = []
        for _ in range(max_new):
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
            if stop and nxt in STOP_IDS:
                return out, True
            logits, past = self.step([nxt], past, pos)
            pos += 1
        return out, False


_ORT: OrtLM | None = None


def ort_worker_init(path: str, threads: int):
    global _ORT
    _ORT = OrtLM(path, threads)


def ort_worker_run(job: tuple[int, list[int], int, bool]):
    idx, prompt, max_new, stop = job
    assert _ORT is not None
    ids, stopped = _ORT.greedy(prompt, max_new, stop)
    return idx, ids, stopped
