"""SHA-256 over a fixed stream of held-out dialogs from data.py (eval seed 4242).

A generator change meant for training only must leave this unchanged: then the evaluation set (built by
evaluate.py from the same functions and seed) is the one earlier models were scored on.
    python3 tools/model/eval_fingerprint.py   # 415a8feab067ed73... for revisions 2, 3a-3d and 3f
"""
import hashlib
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

rng = random.Random(4242)
h = hashlib.sha256()
for _ in range(400):
    m, v, k, idx = data.eval_recall(rng, rng.randint(2400, 6500))
    h.update(json.dumps([m, v, k, idx]).encode())
for i in range(60):
    h.update(json.dumps(data.eval_arith(rng, "+-"[i % 2], rng.choice([0, 0, 1, 2, 4]))).encode())
for i in range(20):
    h.update(json.dumps(data.eval_system(rng, ["persona", "userfact", "upper", "signoff"][i % 4])).encode())
for _ in range(24):
    h.update(json.dumps(data.eval_smalltalk(rng)).encode())
for _ in range(10):
    h.update(json.dumps(data.eval_unknown(rng)).encode())
print(h.hexdigest())
