#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing:
#   chromium          real browser for the Playwright end-to-end tests
#   libonnx-testdata  1,072 ONNX conformance models
#   python3-onnx      the peer reader the conformance test compares against
#   python3-torch, python3-torchvision  PyTorch 1.13, which exports the real-exporter QDQ corpus
# Needs root (or sudo) the first time; afterwards it only checks.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/libonnx-testdata/data ] || need+=(libonnx-testdata)
/usr/bin/python3 -c 'import onnx' 2>/dev/null || need+=(python3-onnx)
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || need+=(python3-torch python3-torchvision)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing Debian packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: missing ${need[*]} and not root; install them with apt-get (Debian) and rerun." >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "Installed: ${need[*]}"
