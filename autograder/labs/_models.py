"""Checks on a saved Keras model shared by labs 25–28: is it a model, and its input/output shapes.

Keras is imported lazily, so listing the labs does not import it.
"""

from __future__ import annotations

from autograder.spec import Verdict, fail, ok


def is_model(value) -> bool:
    import keras

    return isinstance(value, keras.Model)


def input_output_verdict(model, n_in: int, n_out: int, what: str) -> Verdict:
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError):
        return fail(
            f"Expected {what} to know its input shape ({n_in},). Received: a model that was never "
            f"built. Hint: start the Sequential with keras.Input(shape=({n_in},))."
        )
    if in_shape[1:] != (n_in,):
        return fail(
            f"Expected {what} to take inputs of shape ({n_in},). Received: input shape {in_shape[1:]}"
        )
    if out_shape[1:] != (n_out,):
        return fail(f"Expected {what} to output shape ({n_out},). Received: output shape {out_shape[1:]}")
    return ok(f"{what}: ({n_in},) → ({n_out},)")
