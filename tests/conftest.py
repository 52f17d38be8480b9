import numpy as np
import pytest

TRUE_W = np.array([[2.0], [-3.0]], dtype=np.float32)
TRUE_B = 3.0


@pytest.fixture(scope="session")
def seed_data():
    """The seed's data: y = X @ [[2], [-3]] + 3 + noise, 400 points (NumPy-made, float32)."""
    rng = np.random.default_rng(1234)
    X = rng.normal(size=(400, 2)).astype(np.float32)
    noise = rng.normal(scale=0.1, size=(400, 1)).astype(np.float32)
    return X, (X @ TRUE_W + TRUE_B + noise).astype(np.float32)


@pytest.fixture(scope="session")
def assert_recovered():
    """Checks that learned (w, b) are within 0.1 of the true [[2], [-3]] and 3."""
    return _assert_recovered


def _assert_recovered(w, b, tol=0.1):
    w = np.asarray(w, dtype=np.float64).reshape(2)
    b = float(np.asarray(b).reshape(()))
    assert np.all(np.abs(w - TRUE_W.reshape(2)) < tol), f"w = {w}, expected [2, -3] within {tol}"
    assert abs(b - TRUE_B) < tol, f"b = {b}, expected 3 within {tol}"
