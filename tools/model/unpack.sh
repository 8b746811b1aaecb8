#!/usr/bin/env bash
# Reassemble what run_all.sh left in $OUT (split tarballs) on this machine.
#   bash tools/model/unpack.sh <folder with *.part-*> [dest=resources/models] [ckpt dest=tools/model/.ckpt]
set -euo pipefail
SRC=$1
DEST=${2:-resources/models}
CK=${3:-tools/model/.ckpt}
if ls "$SRC"/model.tar.part-* >/dev/null 2>&1; then
  mkdir -p "$DEST"
  rm -rf "$DEST/reprise-tiny.new"; mkdir -p "$DEST/reprise-tiny.new"
  cat "$SRC"/model.tar.part-* | tar -C "$DEST/reprise-tiny.new" -xf -
  # keep a hand-written README.md (model card) if there is one
  if [ -f "$DEST/reprise-tiny/README.md" ]; then cp "$DEST/reprise-tiny/README.md" "$DEST/reprise-tiny.new/reprise-tiny/"; fi
  rm -rf "$DEST/reprise-tiny"; mv "$DEST/reprise-tiny.new/reprise-tiny" "$DEST/reprise-tiny"; rmdir "$DEST/reprise-tiny.new"
  echo "model folder: $DEST/reprise-tiny"; du -sh "$DEST/reprise-tiny"
fi
if ls "$SRC"/ckpt.tar.part-* >/dev/null 2>&1; then
  mkdir -p "$CK"; cat "$SRC"/ckpt.tar.part-* | tar -C "$CK" -xf -
  echo "checkpoint + tokenizer dir: $CK/ckpt $CK/tok (git-ignored via .git/info/exclude)"
fi
