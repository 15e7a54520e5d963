"""Shared fixtures of every test, in tests/ and in solutions/<lab>/ (each lab folder's unit tests):
the project root, the real MNIST file, Keras, quiet TensorFlow. Plain helpers: tests/lab_helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    from labkit.mnist import find_mnist

    return find_mnist(download=False)


@pytest.fixture(scope="module")
def keras():
    """Keras, with its random seed set once per test module."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    return keras
