"""The MNIST loader: search order, verification, clear errors, never overwriting."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from labkit import mnist


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True)


def test_shared_copy_verifies(mnist_path):
    report = mnist.verify_mnist(mnist_path)
    assert report.ok, report.lines
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist(mnist_path)
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert set(np.unique(y_test)) == set(range(10))


def test_data_check_cli_passes(mnist_path):
    proc = _cli("data", "check", str(mnist_path))
    assert proc.returncode == 0, proc.stdout
    assert "OK: verified by file digest" in proc.stdout


def test_truncated_copy_fails(tmp_path, mnist_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(mnist_path.read_bytes()[:5_000_000])
    proc = _cli("data", "check", str(bad))
    assert proc.returncode == 1
    assert "not a zip archive (truncated download or wrong file?)" in proc.stdout
    with pytest.raises(mnist.DatasetError, match=str(bad)):
        mnist.load_mnist(bad)
    assert bad.stat().st_size == 5_000_000  # left untouched


def test_wrong_array_shape_fails(tmp_path):
    bad = tmp_path / "mnist.npz"
    zeros = np.zeros
    np.savez(
        bad,
        x_train=zeros((100, 28, 28), np.uint8),
        y_train=zeros(100, np.uint8),
        x_test=zeros((10000, 28, 28), np.uint8),
        y_test=zeros(10000, np.uint8),
    )
    proc = _cli("data", "check", str(bad))
    assert proc.returncode == 1
    assert "x_train: expected shape (60000, 28, 28) vs received (100, 28, 28)" in proc.stdout


def test_wrong_content_fails(tmp_path):
    bad = tmp_path / "mnist.npz"
    zeros = np.zeros
    np.savez(
        bad,
        x_train=zeros((60000, 28, 28), np.uint8),
        y_train=zeros(60000, np.uint8),
        x_test=zeros((10000, 28, 28), np.uint8),
        y_test=zeros(10000, np.uint8),
    )
    report = mnist.verify_mnist(bad)
    assert not report.ok
    assert any("content digest" in line for line in report.lines)


def test_non_npz_file_fails(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_text("<html>404 Not Found</html>")
    proc = _cli("data", "check", str(bad))
    assert proc.returncode == 1
    assert "Expected a NumPy .npz archive" in proc.stdout


def test_pickled_array_is_refused(tmp_path):
    bad = tmp_path / "mnist.npz"
    np.savez(
        bad,
        x_train=np.array([object()], dtype=object),
        y_train=np.zeros(1),
        x_test=np.zeros(1),
        y_test=np.zeros(1),
    )
    report = mnist.verify_mnist(bad)
    assert not report.ok and any("unreadable" in line for line in report.lines)


def test_missing_explicit_path_is_a_clear_error(tmp_path):
    with pytest.raises(mnist.DatasetError, match="Expected an MNIST file at .*no such file"):
        mnist.find_mnist(tmp_path / "nope.npz", download=False)


def test_search_order_env_then_project_then_keras_cache(tmp_path, monkeypatch, mnist_path):
    env_copy = tmp_path / "env" / "mnist.npz"
    env_copy.parent.mkdir()
    shutil.copy(mnist_path, env_copy)
    monkeypatch.setenv(mnist.ENV_VAR, str(env_copy))
    assert mnist.find_mnist(download=False) == env_copy
    explicit = tmp_path / "explicit.npz"
    shutil.copy(mnist_path, explicit)
    assert mnist.find_mnist(explicit, download=False) == explicit
    monkeypatch.delenv(mnist.ENV_VAR)
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    shutil.copy(mnist_path, keras_home / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setattr(mnist, "_CHECKOUT", tmp_path / "no-project")
    monkeypatch.chdir(tmp_path)
    assert mnist.find_mnist(download=False) == keras_home / "datasets" / "mnist.npz"


def test_bad_file_in_search_path_is_reported_not_replaced(tmp_path, monkeypatch):
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    bad = keras_home / "datasets" / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    monkeypatch.delenv(mnist.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setattr(mnist, "_CHECKOUT", tmp_path / "no-project")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(mnist.DatasetError, match="(?s)not a valid MNIST file.*left untouched"):
        mnist.find_mnist(download=True)
    assert bad.read_bytes() == b"PK\x03\x04 not really"


def test_directory_instead_of_file(tmp_path):
    report = mnist.verify_mnist(tmp_path)
    assert not report.ok and "received a directory" in report.lines[0]


def test_npz_missing_an_array(tmp_path):
    bad = tmp_path / "m.npz"
    np.savez(bad, x_train=np.zeros((1,), np.uint8))
    report = mnist.verify_mnist(bad)
    assert not report.ok and "missing" in report.lines[-1]
    assert zipfile.is_zipfile(bad)
