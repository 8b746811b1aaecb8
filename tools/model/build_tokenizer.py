"""Stage 1: train the byte-level BPE tokenizer on a sample of the training corpus.

    python3 tools/model/build_tokenizer.py --out build/tok [--conversations 6000] [--vocab 4096]

Writes tokenizer.json, tokenizer_config.json (with the ChatML chat template) and stats.json
(characters per token, used by train.py to size conversations to the 2048-token window).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from common import CHAT_TEMPLATE, SPECIALS, SPLIT_PATTERN, render  # noqa: E402


def tokenizer_config() -> dict:
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
            for i, t in enumerate(SPECIALS)
        },
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 2048,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": None,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--conversations", type=int, default=6000)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    t0 = time.time()
    rng = random.Random(args.seed)
    convs = [data.build_conversation(rng, rng.randint(3000, 10000)) for _ in range(args.conversations)]
    texts = []
    for c in convs:
        for m in c:
            texts.append(m["role"] + "\n")
            texts.append(m["content"])
    print(f"[tok] {len(convs)} conversations, {sum(map(len, texts)) / 1e6:.1f} MB sample in {time.time() - t0:.1f}s", flush=True)

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=args.vocab, min_frequency=2, show_progress=False, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    for i, s in enumerate(SPECIALS):
        assert tok.token_to_id(s) == i, (s, tok.token_to_id(s))
    os.makedirs(args.out, exist_ok=True)
    tok.save(os.path.join(args.out, "tokenizer.json"))
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config(), f, indent=2)
        f.write("\n")

    # --- checks: piecewise encoding (what train.py does) == encoding the rendered text
    tok = Tokenizer.from_file(os.path.join(args.out, "tokenizer.json"))
    bad = 0
    nchars = ntoks = 0
    for c in convs[:300]:
        full = tok.encode(render(c), add_special_tokens=False).ids
        piece: list[int] = []
        for m in c:
            piece += [1] + tok.encode(m["role"] + "\n", add_special_tokens=False).ids
            piece += tok.encode(m["content"], add_special_tokens=False).ids + [2]
            piece += tok.encode("\n", add_special_tokens=False).ids
        bad += piece != full
        nchars += len(render(c))
        ntoks += len(full)
        assert tok.decode(full, skip_special_tokens=False) == render(c)
    print(f"[tok] piecewise mismatches: {bad}/300; chars/token = {nchars / ntoks:.3f}; vocab = {tok.get_vocab_size()}", flush=True)
    assert bad == 0, "piecewise tokenization differs from full-text tokenization"
    print("[tok] sample:", tok.encode("Hi! My name is Zorbina. What is 47 + 38?").tokens, flush=True)

    # --- transformers loads it and renders the same chat template
    try:
        from transformers import AutoTokenizer

        ht = AutoTokenizer.from_pretrained(args.out)
        msgs = convs[0][:4]
        s = ht.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        assert s == render(msgs, True), (s, render(msgs, True))
        ids = ht(s, add_special_tokens=False)["input_ids"]
        assert ids == tok.encode(s, add_special_tokens=False).ids
        print(f"[tok] transformers {type(ht).__name__}: chat template and ids OK", flush=True)
    except Exception as e:  # report, do not hide
        print(f"[tok] WARNING transformers check failed: {e!r}", flush=True)
        raise
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump({"chars_per_token": nchars / ntoks, "vocab": tok.get_vocab_size()}, f)
    print(f"[tok] done in {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
