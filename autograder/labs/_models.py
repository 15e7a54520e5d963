"""Checks on a saved Keras model shared by labs 25–28: is it a model, and its input/output shapes.

Keras is imported lazily, so listing the labs does not import it.
"""

from __future__ import annotations

from labkit.i18n import N_, joined

from autograder.spec import Verdict, fail, ok


def is_model(value) -> bool:
    import keras

    return isinstance(value, keras.Model)


def input_output_verdict(model, n_in: int, n_out: int, what: str) -> Verdict:
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except (AttributeError, ValueError):
        return fail(
            N_(
                "Expected {what} to know its input shape ({n_in},). Received: a model that was never "
                "built. Hint: start the Sequential with keras.Input(shape=({n_in},))."
            ).format(what=what, n_in=n_in)
        )
    if in_shape[1:] != (n_in,):
        return fail(
            N_("Expected {what} to take inputs of shape ({n_in},). Received: input shape {shape}").format(
                what=what, n_in=n_in, shape=in_shape[1:]
            )
        )
    if out_shape[1:] != (n_out,):
        return fail(
            N_("Expected {what} to output shape ({n_out},). Received: output shape {shape}").format(
                what=what, n_out=n_out, shape=out_shape[1:]
            )
        )
    return ok(joined(what, f": ({n_in},) → ({n_out},)"))
