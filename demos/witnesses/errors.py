"""Input errors raised by the witnesses, and the checks that raise them.

Every public witness validates what it is given before computing anything, so a bad
parameter surfaces as a ``WitnessInputError`` naming the offending field rather than as
a NaN in a result or a NumPy traceback.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import SupportsInt

import numpy as np

# Caps the API layer enforces before any work; exposed here so it imports one source.
MAX_K = 1000
MAX_PAIRS = 100_000
# Battles a fit may stand for when pairs carry counts: keeps every sum of counts an exact
# integer in float64 (< 2**53) and a request's N within what a 64-bit count can hold.
MAX_BATTLES = 10**12
MAX_SWEEP_POINTS = 200

# A distribution "sums to one" within this absolute tolerance.
PROBABILITY_SUM_TOL = 1e-9


class WitnessInputError(ValueError):
    """Invalid input to a witness; ``field`` names the parameter at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class NoMaximumLikelihoodError(WitnessInputError):
    """The unregularised Bradley–Terry likelihood has no maximiser for these pairs.

    ``candidates`` lists the group whose rewards could be pushed apart from the rest
    without bound while the likelihood keeps increasing.
    """

    def __init__(self, field: str, message: str, candidates: Iterable[SupportsInt] = ()) -> None:
        super().__init__(field, message)
        self.candidates = tuple(int(c) for c in candidates)


def check_real(field: str, value: object) -> float:
    """A finite real number (bools are refused: ``True`` is not a temperature)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WitnessInputError(field, f"must be a real number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise WitnessInputError(field, f"must be finite, got {number!r}")
    return number


def check_positive(field: str, value: object) -> float:
    number = check_real(field, value)
    if number <= 0.0:
        raise WitnessInputError(field, f"must be > 0, got {number!r}")
    return number


def check_non_negative(field: str, value: object) -> float:
    number = check_real(field, value)
    if number < 0.0:
        raise WitnessInputError(field, f"must be >= 0, got {number!r}")
    return number


def check_int(field: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise WitnessInputError(field, f"must be an integer, got {type(value).__name__}")
    number = int(value)
    if number < minimum:
        raise WitnessInputError(field, f"must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise WitnessInputError(field, f"must be <= {maximum}, got {number}")
    return number


def check_float_array(field: str, value: object, *, ndims: tuple[int, ...]) -> np.ndarray:
    """A finite float64 array with one of the allowed numbers of dimensions."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise WitnessInputError(field, "must be a rectangular array of real numbers") from exc
    if raw.dtype.kind not in "iuf":
        raise WitnessInputError(field, "must be an array of real numbers")
    array = raw.astype(np.float64, copy=False)
    if array.ndim not in ndims:
        allowed = " or ".join(f"{n}-D" for n in ndims)
        raise WitnessInputError(field, f"must be {allowed}, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise WitnessInputError(field, "must contain only finite numbers (no NaN or Infinity)")
    return array


def check_rewards(field: str, value: object, *, ndims: tuple[int, ...] = (1,)) -> np.ndarray:
    """Rewards over K >= 2 candidates: shape (K,) or, where allowed, (B, K)."""
    rewards = check_float_array(field, value, ndims=ndims)
    if rewards.shape[-1] < 2:
        raise WitnessInputError(field, f"needs at least 2 candidates, got {rewards.shape[-1]}")
    if rewards.ndim == 2 and rewards.shape[0] < 1:
        raise WitnessInputError(field, "needs at least one prompt")
    return rewards


def check_distribution(
    field: str, value: object, *, shape: tuple[int, ...] | None, strictly_positive: bool
) -> np.ndarray:
    """Probability vectors over K >= 2 candidates along the last axis.

    With a ``shape``, ``value`` must be (K,) (shared by every prompt) or match it exactly.
    """
    dist = check_float_array(field, value, ndims=(1, 2))
    if dist.shape[-1] < 2:
        raise WitnessInputError(field, f"needs at least 2 candidates, got {dist.shape[-1]}")
    if dist.ndim == 2 and dist.shape[0] < 1:
        raise WitnessInputError(field, "needs at least one prompt")
    if shape is not None and dist.shape != shape and dist.shape != shape[-1:]:
        allowed = f"{shape}" if len(shape) == 1 else f"{shape[-1:]} or {shape}"
        raise WitnessInputError(field, f"must have shape {allowed}, got {dist.shape}")
    if strictly_positive:
        if not (dist > 0.0).all():
            raise WitnessInputError(field, "must be strictly positive on every candidate")
    elif not (dist >= 0.0).all():
        raise WitnessInputError(field, "must be non-negative")
    error = np.abs(dist.sum(axis=-1) - 1.0)
    if not (error <= PROBABILITY_SUM_TOL).all():
        raise WitnessInputError(
            field,
            f"must sum to 1 within {PROBABILITY_SUM_TOL:g} (off by {float(error.max()):.3g})",
        )
    return dist


def check_index(field: str, value: object, *, k: int) -> int:
    return check_int(field, value, minimum=0, maximum=k - 1)


def check_pairs(field: str, value: object, *, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(winner, loser) index pairs over K candidates, as two intp arrays."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise WitnessInputError(field, "must be a rectangular array of index pairs") from exc
    if array.size == 0:
        raise WitnessInputError(field, "must contain at least one (winner, loser) pair")
    if array.ndim != 2 or array.shape[1] != 2:
        raise WitnessInputError(field, f"must have shape (N, 2), got {array.shape}")
    if array.dtype.kind not in "iu":
        raise WitnessInputError(field, "must contain integer candidate indices")
    if array.min() < 0 or array.max() >= k:
        bad = int(np.flatnonzero(((array < 0) | (array >= k)).any(axis=1))[0])
        raise WitnessInputError(
            field, f"pair {bad} has an index outside [0, {k}): {array[bad].tolist()}"
        )
    same = array[:, 0] == array[:, 1]
    if same.any():
        bad = int(np.flatnonzero(same)[0])
        raise WitnessInputError(field, f"pair {bad} has winner == loser ({int(array[bad, 0])})")
    return array[:, 0].astype(np.intp), array[:, 1].astype(np.intp)


def check_counts(field: str, value: object, *, n: int) -> np.ndarray:
    """One whole number >= 1 per pair (how often that winner beat that loser), as int64.

    The total is capped at MAX_BATTLES, so sums of counts stay exact in float64.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise WitnessInputError(field, "must be an array of whole numbers") from exc
    if array.ndim != 1 or array.shape[0] != n:
        raise WitnessInputError(field, f"must have shape ({n},), one per pair, got {array.shape}")
    if array.dtype.kind not in "iu":
        raise WitnessInputError(field, "must contain whole numbers (integer dtype)")
    if array.size and array.min() < 1:
        bad = int(np.flatnonzero(array < 1)[0])
        raise WitnessInputError(field, f"count {bad} must be >= 1, got {int(array[bad])}")
    if array.size and array.max() > MAX_BATTLES:
        bad = int(np.flatnonzero(array > MAX_BATTLES)[0])
        raise WitnessInputError(field, f"count {bad} exceeds {MAX_BATTLES:,}")
    counts = array.astype(np.int64)
    # Summed in float64, which cannot overflow; below 2**53 that sum is exact.
    total = float(counts.sum(dtype=np.float64))
    if total > MAX_BATTLES:
        raise WitnessInputError(
            field, f"must total at most {MAX_BATTLES:,} battles, got {total:.3g}"
        )
    return counts
