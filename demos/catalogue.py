"""The demo catalogue: each demo kind, its parameter schema, defaults, caps and computation.

A kind validates raw parameters (JSON values from a request body or an object key's query
string) into canonical parameters: every default filled in, numbers as floats, integers as
ints, keys sorted, and fields that cannot change the result left out. Two requests that mean
the same computation therefore hash the same and share one DemoRun. Validation raises
Django's ValidationError with a message per field and does nothing expensive: the costliest
check is Ford's condition for an unregularised fit, a graph search linear in the pairs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError

from demos import kinds_pages_foundations as foundations
from demos import kinds_pages_preferences, witnesses
from demos.witnesses.errors import check_distribution, check_pairs

# Bump when the shape or content of a result built here changes: runs are cached under it.
RESULT_FORMAT = "1"

# The page's demo, value for value.
PAGE_PAIRS = [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]]
PAGE_K = 4
PAGE_PI_REF = [0.35, 0.30, 0.20, 0.15]
PAGE_BETA = 0.7
PAGE_SHIFT = 10.0
# The page prints its learned rewards as [2.674, -2.674, 0, 0]; the hacking demo takes
# them as the true utility that a proxy then overrates.
PAGE_LEARNED_REWARDS = [2.674, -2.674, 0.0, 0.0]
DEFAULT_PROXY_GAP = 3.0
DEFAULT_BETA_MIN = 0.05
DEFAULT_BETA_MAX = 20.0
DEFAULT_SWEEP_POINTS = 60
# The β grid a kl-policy run sweeps when its proxy gap is on (plus the run's own β).
KL_POLICY_SWEEP = (DEFAULT_BETA_MIN, DEFAULT_BETA_MAX, 40)
# The smallest β accepted: below it a fitted reward divided by β leaves the range in which the
# policy, its KL and its objective are finite (5e-324, the smallest float, would pass β > 0).
BETA_FLOOR = 1e-9

# The page's loop is plain Python over the pairs, 800 times: about 0.7 ms per pair.
MAX_PAGE_PAIRS = 5_000
# A result lists every pair's probability up to this many pairs, then only a summary.
PAIR_PROBABILITIES_SHOWN = 1_000

CAPS = {
    "max_K": witnesses.MAX_K,
    "max_pairs": witnesses.MAX_PAIRS,
    "max_pairs_page_method": MAX_PAGE_PAIRS,
    "max_sweep_points": witnesses.MAX_SWEEP_POINTS,
    "min_beta": BETA_FLOOR,
}

Progress = Callable[[float], None]


def code_version() -> str:
    """The version runs are cached under: the witnesses' numbers and this module's results."""
    return f"w{witnesses.WITNESS_CODE_VERSION}.r{RESULT_FORMAT}"


class ParamError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _finite(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(f"must be a number, got {_json_type(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ParamError("is too large for a 64-bit float") from None
    if not math.isfinite(number):
        raise ParamError(
            "must be a finite number (NaN, Infinity and numbers that overflow a 64-bit "
            "float, such as 1e400, are refused)"
        )
    return number + 0.0  # -0.0 and 0.0 are the same parameter


# Parameter types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    default: Any = None

    def json_schema(self) -> dict[str, Any]:
        return {"description": self.description, "default": self.default}

    def clean(self, value: object) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Param):
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None

    def json_schema(self) -> dict[str, Any]:
        schema = {"type": "number", **super().json_schema()}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.exclusive_minimum is not None:
            schema["exclusiveMinimum"] = self.exclusive_minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema

    def clean(self, value: object) -> float:
        number = _finite(value)
        if self.minimum is not None and number < self.minimum:
            raise ParamError(f"must be >= {self.minimum:g}, got {number!r}")
        if self.exclusive_minimum is not None and number <= self.exclusive_minimum:
            raise ParamError(f"must be > {self.exclusive_minimum:g}, got {number!r}")
        if self.maximum is not None and number > self.maximum:
            raise ParamError(f"must be <= {self.maximum:g}, got {number!r}")
        return number


@dataclass(frozen=True)
class Integer(Param):
    minimum: int = 0
    maximum: int = 0

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "integer",
            "minimum": self.minimum,
            "maximum": self.maximum,
            **super().json_schema(),
        }

    def clean(self, value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"must be an integer, got {_json_type(value)}")
        if not self.minimum <= value <= self.maximum:
            raise ParamError(f"must be between {self.minimum} and {self.maximum}, got {value}")
        return value


@dataclass(frozen=True)
class Boolean(Param):
    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean", **super().json_schema()}

    def clean(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise ParamError(f"must be true or false, got {_json_type(value)}")
        return value


@dataclass(frozen=True)
class Choice(Param):
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices), **super().json_schema()}

    def clean(self, value: object) -> str:
        if not isinstance(value, str):
            raise ParamError(f"must be a string, got {_json_type(value)}")
        value = self.aliases.get(value, value)
        if value not in self.choices:
            raise ParamError(f"must be one of {', '.join(self.choices)}; got {value[:40]!r}")
        return value


@dataclass(frozen=True)
class Vector(Param):
    """A list of finite numbers, one per candidate; ``null`` allowed when ``nullable``."""

    max_items: int = witnesses.MAX_K
    nullable: bool = False

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": ["array", "null"] if self.nullable else "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": self.max_items,
            **super().json_schema(),
        }

    def clean(self, value: object) -> list[float] | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, list):
            raise ParamError(f"must be an array of numbers, got {_json_type(value)}")
        if not 2 <= len(value) <= self.max_items:
            raise ParamError(f"must hold between 2 and {self.max_items} numbers, got {len(value)}")
        cleaned = []
        for index, item in enumerate(value):
            try:
                cleaned.append(_finite(item))
            except ParamError as exc:
                raise ParamError(f"item {index} {exc.message}") from None
        return cleaned


def _index_rows(value: object, width: int, shape: str) -> np.ndarray:
    """A JSON array of ``width``-integer rows as an (N, width) int64 array, checked by NumPy.

    Refuses anything but whole numbers (floats, strings, nulls, booleans, integers past
    64 bits), ragged or nested rows, and more than MAX_PAIRS rows.
    """
    if not isinstance(value, list):
        raise ParamError(f"must be an array of {shape} rows, got {_json_type(value)}")
    if not 1 <= len(value) <= witnesses.MAX_PAIRS:
        raise ParamError(f"must hold between 1 and {witnesses.MAX_PAIRS} rows, got {len(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is None or array.ndim != 2 or array.shape[1] != width:
        got = "ragged rows" if array is None else f"shape {array.shape}"
        raise ParamError(f"every row must be {shape} (N × {width} integers), got {got}")
    # NumPy reads a mix of true/false and integers as integers: the element types say so.
    if array.dtype.kind not in "iu" or (
        array.dtype.kind == "i" and set(map(type, chain.from_iterable(value))) != {int}
    ):
        raise ParamError(
            f"every row must be {shape} with integer entries (no floats, strings, "
            "booleans or nulls; at most 64 bits)"
        )
    indices = array[:, :2]
    outside = (indices < 0) | (indices >= witnesses.MAX_K)
    if outside.any():
        bad = int(np.flatnonzero(outside.any(axis=1))[0])
        raise ParamError(
            f"row {bad} has an index outside [0, {witnesses.MAX_K}): {array[bad].tolist()}"
        )
    if array.dtype.kind == "u" and int(array.max()) > np.iinfo(np.int64).max:
        raise ParamError(f"every row must be {shape} with integers below 2**63")
    return array.astype(np.int64)


@dataclass(frozen=True)
class Pairs(Param):
    """(winner, loser) candidate indices; ranges are checked against K by the kind."""

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": witnesses.MAX_K - 1},
                "minItems": 2,
                "maxItems": 2,
                "description": "[winner, loser]: the winner was preferred to the loser",
            },
            "minItems": 1,
            "maxItems": witnesses.MAX_PAIRS,
            **super().json_schema(),
        }

    def clean(self, value: object) -> list[list[int]]:
        return _index_rows(value, 2, "[winner, loser]").tolist()


@dataclass(frozen=True)
class Triplets(Param):
    """[winner, loser, count] rows: the same pair counted, capped in rows, not battles."""

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": ["array", "null"],
            "items": {
                "type": "array",
                "prefixItems": [
                    {"type": "integer", "minimum": 0, "maximum": witnesses.MAX_K - 1},
                    {"type": "integer", "minimum": 0, "maximum": witnesses.MAX_K - 1},
                    {"type": "integer", "minimum": 1, "maximum": witnesses.MAX_BATTLES},
                ],
                "minItems": 3,
                "maxItems": 3,
                "description": "[winner, loser, count]: the winner beat the loser count times",
            },
            "minItems": 1,
            "maxItems": witnesses.MAX_PAIRS,
            **super().json_schema(),
        }

    def clean(self, value: object) -> list[list[int]] | None:
        if value is None:
            return None
        array = _index_rows(value, 3, "[winner, loser, count]")
        try:
            witnesses.check_counts("triplets", array[:, 2], n=array.shape[0])
        except witnesses.WitnessInputError as exc:
            raise ParamError(exc.message.replace("count ", "row ", 1)) from None
        return array.tolist()


# Kinds ------------------------------------------------------------------------------------


class _Errors:
    """Collects one message per field, so a request learns everything wrong at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def witness(self, exc: witnesses.WitnessInputError, default_field: str) -> None:
        self.add(exc.field if exc.field else default_field, exc.message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)

    def __contains__(self, name: str) -> bool:
        return name in self.by_field


@dataclass(frozen=True)
class DemoKind:
    slug: str
    title: str
    summary: str
    params: tuple[Param, ...]
    canonicalise: Callable[[dict[str, Any], set[str], _Errors], dict[str, Any]]
    compute: Callable[[dict[str, Any], Progress], dict[str, Any]]
    notes: tuple[str, ...] = ()
    # The caps this kind enforces; None: the catalogue-wide CAPS.
    caps: Mapping[str, Any] | None = None

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(param.name for param in self.params)

    def defaults(self) -> dict[str, Any]:
        return {param.name: param.default for param in self.params}

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {param.name: param.json_schema() for param in self.params},
            "additionalProperties": False,
        }

    def validate(self, raw: object) -> dict[str, Any]:
        """Raw JSON-like parameters → canonical parameters, or ValidationError per field."""
        if not isinstance(raw, Mapping):
            raise ValidationError(
                {"params": [f"must be a JSON object of parameters, got {_json_type(raw)}"]}
            )
        errors = _Errors()
        known = {param.name: param for param in self.params}
        for name in raw:
            if name not in known:
                errors.add(
                    str(name)[:60],
                    f"unknown parameter for {self.slug}; expected one of: "
                    + ", ".join(self.param_names),
                )
        values: dict[str, Any] = {}
        for name, param in known.items():
            if name not in raw:
                values[name] = param.default
                continue
            try:
                values[name] = param.clean(raw[name])
            except ParamError as exc:
                errors.add(name, exc.message)
        errors.raise_if_any()
        canonical = self.canonicalise(values, {name for name in raw if name in known}, errors)
        errors.raise_if_any()
        return dict(sorted(canonical.items()))


def params_hash(kind: str, params: Mapping[str, Any]) -> str:
    payload = json.dumps(
        {"kind": kind, "params": params}, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Shared validation pieces -----------------------------------------------------------------


def _default_pi_ref(k: int) -> list[float]:
    return list(PAGE_PI_REF) if k == PAGE_K else [1.0 / k] * k


def _check_pi_ref(values: dict[str, Any], k: int, errors: _Errors) -> None:
    if values["pi_ref"] is None:
        values["pi_ref"] = _default_pi_ref(k)
        return
    if len(values["pi_ref"]) != k:
        errors.add(
            "pi_ref",
            f"must hold one probability per candidate (K = {k}), got {len(values['pi_ref'])}",
        )
        return
    try:
        check_distribution("pi_ref", values["pi_ref"], shape=(k,), strictly_positive=True)
    except witnesses.WitnessInputError as exc:
        errors.witness(exc, "pi_ref")


def _fit_arrays(values: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """The (N, 2) pairs and their counts (None: one battle each) a fit's parameters give."""
    if values.get("triplets") is not None:
        rows = np.asarray(values["triplets"], dtype=np.int64)
        return rows[:, :2], rows[:, 2]
    return np.asarray(values["pairs"], dtype=np.int64), None


def _canonical_fit_data(values: dict[str, Any], given: set[str], errors: _Errors) -> bool:
    """Keep one of pairs and triplets; False when both were given."""
    if values["triplets"] is None:
        values.pop("triplets")
        return True
    if "pairs" in given:
        errors.add("triplets", "give either pairs or triplets, not both")
        return False
    values.pop("pairs")
    return True


def _check_fit_inputs(values: dict[str, Any], errors: _Errors) -> None:
    """Pairs against K, the page method's cap, and Ford's condition when l2 = 0.

    Valid triplets that all count 1 then become pairs, so that they share a run with the
    same pairs written plainly.
    """
    k = values["K"]
    field = "triplets" if values.get("triplets") is not None else "pairs"
    pairs, counts = _fit_arrays(values)
    try:
        check_pairs(field, pairs, k=k)
    except witnesses.WitnessInputError as exc:
        message = exc.message.replace("pair ", "row ", 1) if field == "triplets" else exc.message
        errors.add(field, f"{message} (K is {k})")
        return
    battles = len(pairs) if counts is None else int(counts.sum())
    if values["method"] == "page" and battles > MAX_PAGE_PAIRS:
        errors.add(
            "method",
            f"the page's 800-step loop is capped at {MAX_PAGE_PAIRS} battles "
            f"(got {battles}); use method newton",
        )
    if values["l2"] == 0.0:
        try:
            witnesses.check_ford_condition(pairs, k)
        except witnesses.NoMaximumLikelihoodError as exc:
            errors.add(field, exc.message)
    if counts is not None and field not in errors and bool((counts == 1).all()):
        values["pairs"] = pairs.tolist()
        values.pop("triplets")


def _check_exploited_index(values: dict[str, Any], k: int, errors: _Errors) -> bool:
    """Default the candidate a proxy overrates to the last one; False if it is not one of K."""
    if values["exploited_index"] is None:
        values["exploited_index"] = k - 1
    elif values["exploited_index"] >= k:
        errors.add(
            "exploited_index",
            f"must be a candidate index in [0, {k}), got {values['exploited_index']}",
        )
        return False
    return True


def _check_policy_overflow(
    rewards: list[float], beta: float, errors: _Errors, *, field: str = "beta"
) -> None:
    values = np.asarray(rewards, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.abs(values) / beta
        # The log-sum-exp subtracts the largest logit: the spread must stay finite too.
        spread = (values.max() - values.min()) / beta
    if not np.isfinite(scaled).all() or not np.isfinite(spread):
        errors.add(field, f"rewards / {field} overflows a 64-bit float; use a larger {field}")


# reward-fit --------------------------------------------------------------------------------

_PAIRS = Pairs("pairs", "Preference pairs [winner, loser] over candidates 0..K-1.", PAGE_PAIRS)
_TRIPLETS = Triplets(
    "triplets",
    "Instead of pairs: [winner, loser, count] rows, each standing for count battles the "
    f"winner won (count >= 1), e.g. [[0, 1, 120], [1, 0, 45]]. Capped at "
    f"{witnesses.MAX_PAIRS:,} rows and {witnesses.MAX_BATTLES:,} battles in all, so millions "
    "of battles fit in one request; the fit works on the win counts, so its cost depends on "
    "the rows and K, not the battles. Give pairs or triplets, not both.",
    None,
)
_K = Integer("K", "Number of candidate completions.", PAGE_K, 2, witnesses.MAX_K)
_L2 = Number(
    "l2",
    "L2 regularisation of the rewards. With l2 = 0 a fit exists only when every split of "
    "the candidates has a winner on each side (Ford's condition); otherwise 400.",
    witnesses.PAGE_L2,
    minimum=0.0,
)
_METHOD = Choice(
    "method",
    "newton solves the fit to convergence; page runs the page's loop (800 steps, lr 0.3) "
    "and reproduces its printed numbers.",
    "newton",
    choices=("newton", "page"),
    aliases={"gradient": "page"},
)


def _canonical_reward_fit(
    values: dict[str, Any], given: set[str], errors: _Errors
) -> dict[str, Any]:
    if _canonical_fit_data(values, given, errors):
        _check_fit_inputs(values, errors)
    return values


def _fit(
    params: dict[str, Any], progress: Progress | None = None
) -> tuple[witnesses.RewardFit, dict[str, Any]]:
    pairs, counts = _fit_arrays(params)
    fit = witnesses.fit_reward_model(
        pairs,
        params["K"],
        counts=counts,
        l2=params["l2"],
        method=params["method"],
        progress=progress,
    )
    probabilities = witnesses.preference_probabilities(fit.rewards, pairs)
    diagnostics = fit.to_dict()
    diagnostics.pop("rewards")
    return fit, {"fit": diagnostics, "pair_probabilities": _pair_summary(probabilities, counts)}


def _pair_summary(probabilities: np.ndarray, counts: np.ndarray | None = None) -> dict[str, Any]:
    """Each row's σ(Δ) (the first PAIR_PROBABILITIES_SHOWN), and how well the fit explains
    the battles (each row weighted by its count)."""
    shown = probabilities[:PAIR_PROBABILITIES_SHOWN]
    summary = {
        "values": shown.tolist(),
        "total": int(probabilities.size if counts is None else counts.sum()),
        "truncated": bool(probabilities.size > shown.size),
        "mean": float(np.average(probabilities, weights=counts)),
        "min": float(probabilities.min()),
        "agreement": float(np.average(probabilities > 0.5, weights=counts)),
        "mean_log_likelihood": float(np.average(np.log(probabilities), weights=counts)),
    }
    if counts is not None:
        summary["rows"] = int(probabilities.size)
    return summary


def _compute_reward_fit(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    fit, details = _fit(params, progress)
    return {"rewards": fit.rewards.tolist(), **details}


# kl-policy ---------------------------------------------------------------------------------

_PI_REF = Vector(
    "pi_ref",
    "Reference policy: K positive probabilities summing to 1. Default: the page's "
    "[0.35, 0.30, 0.20, 0.15] when K = 4, uniform otherwise.",
    None,
    nullable=True,
)
_BETA = Number(
    "beta",
    "KL strength β > 0: larger keeps π* near π_ref.",
    PAGE_BETA,
    minimum=BETA_FLOOR,
)
_SHIFT = Number("shift", "A constant added to every reward; π* must not change.", PAGE_SHIFT)
_REWARDS = Vector(
    "rewards",
    "Rewards to use instead of a fit (then leave out pairs, l2 and method; K defaults to "
    "their length).",
    None,
    nullable=True,
)
_PROXY_TOGGLE = Boolean(
    "proxy_gap",
    "Toggle: optimise a proxy that overrates one candidate by proxy_gap_size, and report the "
    "true utility (the learned rewards) it then earns.",
    False,
)
_PROXY_SIZE = Number(
    "proxy_gap_size",
    "How much the proxy overrates the exploited candidate (used when proxy_gap is on).",
    DEFAULT_PROXY_GAP,
)
_EXPLOITED = Integer(
    "exploited_index",
    "The candidate the proxy overrates. Default: the last candidate (K - 1).",
    None,
    0,
    witnesses.MAX_K - 1,
)
_FIT_FIELDS = ("pairs", "triplets", "l2", "method")
_PROXY_FIELDS = ("proxy_gap_size", "exploited_index")


def _canonical_kl_policy(
    values: dict[str, Any], given: set[str], errors: _Errors
) -> dict[str, Any]:
    rewards = values["rewards"]
    if rewards is not None:
        clash = sorted(given.intersection(_FIT_FIELDS))
        if clash:
            errors.add(
                "rewards",
                "give either rewards or a fit (pairs or triplets, l2, method), not both; "
                "also got " + ", ".join(clash),
            )
            return values
        if "K" in given and values["K"] != len(rewards):
            errors.add("K", f"must equal the number of rewards ({len(rewards)}), got {values['K']}")
            return values
        values["K"] = len(rewards)
        for name in _FIT_FIELDS:
            values.pop(name)
    else:
        values.pop("rewards")
        if not _canonical_fit_data(values, given, errors):
            return values
        _check_fit_inputs(values, errors)
    k = values["K"]
    _check_pi_ref(values, k, errors)
    if values["proxy_gap"]:
        _check_exploited_index(values, k, errors)
    else:
        for name in _PROXY_FIELDS:
            values.pop(name)
    if "beta" not in errors and "exploited_index" not in errors:
        # A fit's rewards are not known before the run, but they are small (centred, and
        # bounded by the fit's regularisation); zeros stand in for them here.
        base = list(rewards) if rewards is not None else [0.0] * k
        policy_rewards = list(base)
        if values["proxy_gap"]:
            policy_rewards[values["exploited_index"]] += values["proxy_gap_size"]
        _check_policy_overflow(base, values["beta"], errors)
        if values["proxy_gap"]:
            # The run also sweeps β down to the sweep's smallest value.
            smallest = min(values["beta"], KL_POLICY_SWEEP[0])
            _check_policy_overflow(policy_rewards, smallest, errors)
        with np.errstate(over="ignore"):
            shifted = np.asarray(policy_rewards) + values["shift"]
            shifted_scaled = np.abs(shifted) / values["beta"]
        if not np.isfinite(shifted_scaled).all():
            errors.add("shift", "(rewards + shift) / beta overflows a 64-bit float")
    return values


# The share of a kl-policy run's progress its reward fit stands for.
KL_POLICY_FIT_SHARE = 0.9


def _compute_kl_policy(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if params.get("rewards") is not None:
        learned = np.asarray(params["rewards"], dtype=np.float64)
        result.update({"fit": None, "pair_probabilities": None})
    else:
        # The fit is nearly all of the work; the policy and its sweep are closed forms.
        fit, details = _fit(params, witnesses.progress_part(progress, 0.0, KL_POLICY_FIT_SHARE))
        learned = fit.rewards
        result.update(details)
    pi_ref, beta, shift = params["pi_ref"], params["beta"], params["shift"]
    result["learned_rewards"] = learned.tolist()
    if params["proxy_gap"]:
        index, gap = params["exploited_index"], params["proxy_gap_size"]
        policy_rewards = witnesses.proxy_rewards(learned, gap, index)
        report = witnesses.kl_policy_report(policy_rewards, pi_ref, beta, shift)
        honest = witnesses.kl_regularized_policy(learned, pi_ref, beta)
        low, high, points = KL_POLICY_SWEEP
        betas = np.append(witnesses.beta_grid(low, high, points), beta)
        sweep = witnesses.reward_hacking_sweep(policy_rewards, learned, pi_ref, betas=betas)
        pi_star = np.asarray(report["pi_star"])
        result["proxy"] = {
            "proxy_gap_size": gap,
            "exploited_index": index,
            "proxy_rewards": policy_rewards.tolist(),
            "true_utility": learned.tolist(),
            "pi_star_without_gap": honest.tolist(),
            "expected_true_utility": float(pi_star @ learned),
            "expected_true_utility_without_gap": float(honest @ learned),
            "expected_true_utility_reference": float(np.asarray(pi_ref) @ learned),
            "expected_proxy_reward": float(pi_star @ policy_rewards),
        }
        result["sweep"] = sweep
    else:
        report = witnesses.kl_policy_report(learned, pi_ref, beta, shift)
        result["proxy"] = None
        result["sweep"] = None
    result.update(report)
    return result


# reward-hacking ----------------------------------------------------------------------------

_TRUE_UTILITY = Vector(
    "true_utility",
    "The real target u, one value per candidate. Default: the page's learned rewards.",
    PAGE_LEARNED_REWARDS,
)
_PROXY_REWARDS = Vector(
    "proxy_rewards",
    "The proxy r the policy optimises. Default: u with proxy_gap added to exploited_index.",
    None,
    nullable=True,
)
_HACK_GAP = Number(
    "proxy_gap",
    "How much the proxy overrates the exploited candidate (when proxy_rewards is not given).",
    DEFAULT_PROXY_GAP,
)
_BETA_MIN = Number("beta_min", "Smallest β of the sweep.", DEFAULT_BETA_MIN, minimum=BETA_FLOOR)
_BETA_MAX = Number("beta_max", "Largest β of the sweep.", DEFAULT_BETA_MAX, minimum=BETA_FLOOR)
_POINTS = Integer(
    "points",
    "Number of geometrically spaced β values.",
    DEFAULT_SWEEP_POINTS,
    2,
    witnesses.MAX_SWEEP_POINTS,
)


def _canonical_reward_hacking(
    values: dict[str, Any], given: set[str], errors: _Errors
) -> dict[str, Any]:
    k = len(values["true_utility"])
    _check_pi_ref(values, k, errors)
    if values["beta_min"] >= values["beta_max"]:
        errors.add("beta_max", f"must exceed beta_min ({values['beta_min']!r})")
    if values["proxy_rewards"] is not None:
        proxy = values["proxy_rewards"]
        if given.intersection(("proxy_gap", "exploited_index")):
            errors.add(
                "proxy_rewards",
                "give either proxy_rewards or proxy_gap with exploited_index, not both",
            )
            return values
        if len(proxy) != k:
            errors.add(
                "proxy_rewards",
                f"must hold one value per candidate ({k}, like true_utility), got {len(proxy)}",
            )
            return values
        values.pop("proxy_gap")
        values.pop("exploited_index")
    else:
        values.pop("proxy_rewards")
        if not _check_exploited_index(values, k, errors):
            return values
        proxy = list(values["true_utility"])
        proxy[values["exploited_index"]] += values["proxy_gap"]
        if not math.isfinite(proxy[values["exploited_index"]]):
            errors.add("proxy_gap", "true_utility + proxy_gap overflows a 64-bit float")
            return values
    if "beta_max" not in errors:
        _check_policy_overflow(proxy, values["beta_min"], errors, field="beta_min")
    return values


def _compute_reward_hacking(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    beta_range = (params["beta_min"], params["beta_max"], params["points"])
    if params.get("proxy_rewards") is not None:
        sweep = witnesses.reward_hacking_sweep(
            params["proxy_rewards"],
            params["true_utility"],
            params["pi_ref"],
            beta_range=beta_range,
        )
        return {
            "true_utility": params["true_utility"],
            "proxy_rewards": params["proxy_rewards"],
            "proxy_gap": None,
            "exploited_index": None,
            "pi_ref": params["pi_ref"],
            **sweep,
        }
    report = witnesses.reward_hacking_report(
        params["true_utility"],
        params["pi_ref"],
        proxy_gap=params["proxy_gap"],
        exploited_index=params["exploited_index"],
        beta_range=beta_range,
    )
    return {"pi_ref": params["pi_ref"], **report}


# bradley-terry, dpo, overoptimization (the preference-learning pages) ---------------------


@dataclass(frozen=True)
class WinCounts(Param):
    """A K×K matrix of whole numbers: row i, column j counts the times i beat j."""

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "minItems": 2,
            "maxItems": witnesses.MAX_ITEMS,
            **super().json_schema(),
        }

    def clean(self, value: object) -> list[list[int]]:
        try:
            return kinds_pages_preferences.win_counts_clean(value)
        except ValueError as exc:
            raise ParamError(str(exc)) from None


_BRADLEY_TERRY_CAPS = {
    "max_items": witnesses.MAX_ITEMS,
    "max_comparisons": witnesses.MAX_PAIRS,
    "max_mm_steps": witnesses.MM_MAX_ITER,
}
_DPO_CAPS = {
    "max_K": witnesses.DPO_MAX_K,
    "max_pairs": witnesses.MAX_PAIRS,
    "min_beta": BETA_FLOOR,
    "max_beta": witnesses.DPO_MAX_BETA,
}
_OVEROPTIMIZATION_CAPS = {
    "max_K": witnesses.MAX_K,
    "max_sweep_points": witnesses.MAX_SWEEP_POINTS,
    "min_beta": BETA_FLOOR,
    "max_n": witnesses.MAX_N,
}
_WINS = WinCounts(
    "wins",
    "Win counts: wins[i][j] is how often item i beat item j (diagonal 0). A fit exists only "
    "when every split of the items has a win across it both ways (Ford's condition).",
    kinds_pages_preferences.DEFAULT_WINS,
)
_BT_METHOD = Choice(
    "method",
    "mm multiplies each strength by observed/expected wins until they agree; newton uses the "
    "exact Hessian. The result also reports the other method as a cross-check.",
    "mm",
    choices=witnesses.BT_METHODS,
)
_DPO_BETA = Number(
    "beta",
    "KL strength β > 0 of the RLHF policy DPO's optimum is compared with; beyond 100 the "
    "policy stays within rounding of π_ref.",
    PAGE_BETA,
    minimum=BETA_FLOOR,
    maximum=witnesses.DPO_MAX_BETA,
)
_DPO_L2 = Number(
    "l2",
    "L2 penalty on the centred implicit reward, as the RLHF page's reward model uses (0.05). "
    "l2 = 0 is plain DPO, which has an optimum only under Ford's condition.",
    witnesses.PAGE_L2,
    minimum=0.0,
)
_GOLD = Vector(
    "gold_reward",
    "The gold reward g (the real target), one value per candidate. Default: the RLHF page's "
    "learned rewards.",
    PAGE_LEARNED_REWARDS,
)
_PROXY = Vector(
    "proxy_reward",
    "The proxy r the optimiser sees. Default: g with proxy_gap added to exploited_index.",
    None,
    nullable=True,
)
_OPTIMIZER = Choice(
    "optimizer",
    "kl-regularized: π ∝ π_ref·exp(r/β) as β falls from beta_max to beta_min; best-of-n: "
    "the proxy's favourite of n draws from π_ref, for n from 1 to n_max.",
    "kl-regularized",
    choices=witnesses.OPTIMIZERS,
)
_N_MAX = Integer(
    "n_max",
    "Largest n of the best-of-n sweep.",
    kinds_pages_preferences.DEFAULT_N_MAX,
    2,
    witnesses.MAX_N,
)
_PRESSURE_POINTS = Integer(
    "points",
    "Number of pressure settings (β values, or distinct n), spaced geometrically.",
    kinds_pages_preferences.DEFAULT_OVEROPTIMIZATION_POINTS,
    2,
    witnesses.MAX_SWEEP_POINTS,
)

PREFERENCE_KINDS = (
    DemoKind(
        slug="bradley-terry",
        title="Bradley–Terry fit from win counts",
        summary=(
            "Maximum-likelihood strengths from a win matrix (MM or Newton), with each "
            "item's expected wins against its observed wins."
        ),
        params=(_WINS, _BT_METHOD),
        canonicalise=kinds_pages_preferences.canonical_bradley_terry,
        compute=kinds_pages_preferences.compute_bradley_terry,
        caps=_BRADLEY_TERRY_CAPS,
    ),
    DemoKind(
        slug="dpo",
        title="DPO against RLHF on the same pairs",
        summary=(
            "Minimise DPO's loss over a tabular policy and compare it with the RLHF policy "
            "π_ref·exp(r/β)/Z built from the Bradley–Terry fit: same policy, and "
            "β·log(π/π_ref) is r up to one constant."
        ),
        params=(_PAIRS, _K, _PI_REF, _DPO_BETA, _DPO_L2),
        canonicalise=kinds_pages_preferences.canonical_dpo,
        compute=kinds_pages_preferences.compute_dpo,
        caps=_DPO_CAPS,
    ),
    DemoKind(
        slug="overoptimization",
        title="Reward-model overoptimisation against KL",
        summary=(
            "Optimise a proxy that overrates one candidate ever harder (KL-regularised or "
            "best-of-n): the proxy score keeps rising, the gold score peaks, and the KL at "
            "the peak is reported."
        ),
        params=(
            _GOLD,
            _PROXY,
            _HACK_GAP,
            _EXPLOITED,
            _PI_REF,
            _OPTIMIZER,
            _BETA_MIN,
            _BETA_MAX,
            _N_MAX,
            _PRESSURE_POINTS,
        ),
        canonicalise=kinds_pages_preferences.canonical_overoptimization,
        compute=kinds_pages_preferences.compute_overoptimization,
        caps=_OVEROPTIMIZATION_CAPS,
    ),
)


KINDS: dict[str, DemoKind] = {
    kind.slug: kind
    for kind in (
        DemoKind(
            slug="reward-fit",
            title="Bradley–Terry reward fit",
            summary="Fit mean-zero rewards to pairwise preferences: P(winner ≻ loser) = σ(Δ).",
            params=(_PAIRS, _TRIPLETS, _K, _L2, _METHOD),
            canonicalise=_canonical_reward_fit,
            compute=_compute_reward_fit,
        ),
        DemoKind(
            slug="kl-policy",
            title="KL-regularised policy",
            summary=(
                "Fit rewards from the pairs (or take them as given), reweight π_ref by "
                "exp(r/β), and check that shifting every reward leaves π* unchanged."
            ),
            params=(
                _PAIRS,
                _TRIPLETS,
                _K,
                _L2,
                _METHOD,
                _REWARDS,
                _PI_REF,
                _BETA,
                _SHIFT,
                _PROXY_TOGGLE,
                _PROXY_SIZE,
                _EXPLOITED,
            ),
            canonicalise=_canonical_kl_policy,
            compute=_compute_kl_policy,
        ),
        DemoKind(
            slug="reward-hacking",
            title="Reward hacking β sweep",
            summary=(
                "Optimise a proxy reward that overrates one candidate across a β sweep, and "
                "find the β below which lowering it costs true utility."
            ),
            params=(
                _TRUE_UTILITY,
                _PROXY_REWARDS,
                _HACK_GAP,
                _EXPLOITED,
                _PI_REF,
                _BETA_MIN,
                _BETA_MAX,
                _POINTS,
            ),
            canonicalise=_canonical_reward_hacking,
            compute=_compute_reward_hacking,
        ),
        # The pages RLHF builds on: maximum likelihood, KL divergence, policy gradient, PPO.
        DemoKind(
            slug="mle-fit",
            title="Maximum likelihood: Bernoulli and logistic fits",
            summary=(
                "Fit p̂ = k/n to the labels, then a logistic model P(y = 1 | x) = σ(a + bx) by "
                "Newton's method, with the Fisher information and standard errors."
            ),
            params=(
                Vector(
                    "x",
                    "One feature value per observation (|x| <= 1e6).",
                    foundations.MLE_X,
                    max_items=witnesses.likelihood.MAX_OBSERVATIONS,
                ),
                Vector(
                    "y",
                    "One 0/1 label per observation. Both labels must occur, and the classes "
                    "must overlap in x (else the likelihood has no finite maximum: 400).",
                    foundations.MLE_Y,
                    max_items=witnesses.likelihood.MAX_OBSERVATIONS,
                ),
            ),
            canonicalise=foundations.canonical_mle_fit,
            compute=foundations.compute_mle_fit,
            caps=foundations.MLE_CAPS,
        ),
        DemoKind(
            slug="kl-asymmetry",
            title="KL divergence: Gibbs' inequality and asymmetry",
            summary=(
                "KL(p‖q) and KL(q‖p) with the checks between them, and the one-bump fits of p "
                "that minimise each direction."
            ),
            params=(
                Vector(
                    "p",
                    "A distribution over K categories: non-negative, summing to 1.",
                    foundations.KL_P,
                    max_items=witnesses.divergence.MAX_CATEGORIES,
                ),
                Vector(
                    "q",
                    "A second distribution over the same K categories.",
                    foundations.KL_Q,
                    max_items=witnesses.divergence.MAX_CATEGORIES,
                ),
            ),
            canonicalise=foundations.canonical_kl_asymmetry,
            compute=foundations.compute_kl_asymmetry,
            caps=foundations.KL_CAPS,
        ),
        DemoKind(
            slug="reinforce-bandit",
            title="REINFORCE on a bandit, with and without a baseline",
            summary=(
                "The score-function gradient of a softmax policy: the same mean for every "
                "baseline, a smaller variance with a good one, and training runs of each."
            ),
            params=(
                Vector(
                    "mean_rewards",
                    "Mean reward of each arm (|μ| <= 1e6).",
                    foundations.BANDIT_REWARDS,
                    max_items=witnesses.policy_gradient.MAX_ARMS,
                ),
                Vector(
                    "logits",
                    "Initial softmax logits θ, one per arm (|θ| <= 30). Default: zeros.",
                    None,
                    max_items=witnesses.policy_gradient.MAX_ARMS,
                    nullable=True,
                ),
                Number(
                    "noise",
                    "Standard deviation of the reward noise.",
                    foundations.PG_NOISE,
                    minimum=0.0,
                    maximum=foundations.MAX_NOISE,
                ),
                Integer(
                    "samples",
                    "Seeded pulls for the sampled gradient estimates.",
                    foundations.PG_SAMPLES,
                    2,
                    witnesses.policy_gradient.MAX_SAMPLES,
                ),
                Integer(
                    "steps",
                    "Training steps (one pull per run each).",
                    foundations.PG_STEPS,
                    1,
                    witnesses.policy_gradient.MAX_STEPS,
                ),
                Integer(
                    "runs",
                    "Independent training runs averaged in the curves.",
                    foundations.PG_RUNS,
                    1,
                    witnesses.policy_gradient.MAX_RUNS,
                ),
                Number(
                    "learning_rate",
                    "Step size of each REINFORCE update.",
                    foundations.PG_LEARNING_RATE,
                    exclusive_minimum=0.0,
                    maximum=foundations.MAX_LEARNING_RATE,
                ),
                Integer(
                    "seed",
                    "Seed of the random pulls and rewards.",
                    0,
                    0,
                    witnesses.policy_gradient.MAX_SEED,
                ),
            ),
            canonicalise=foundations.canonical_reinforce_bandit,
            compute=foundations.compute_reinforce_bandit,
            caps=foundations.PG_CAPS,
        ),
        DemoKind(
            slug="ppo-clip",
            title="PPO's clipped surrogate on a bandit",
            summary=(
                "Ascend L^CLIP and the unclipped surrogate from an old policy: the ratio clip at "
                "1 ± ε, the flat regions, and how far each step moves the policy."
            ),
            params=(
                Vector(
                    "mean_rewards",
                    "Mean reward of each arm (|μ| <= 1e6); advantages are exact under π_old.",
                    foundations.PPO_REWARDS,
                    max_items=witnesses.ppo.MAX_ARMS,
                ),
                Vector(
                    "old_logits",
                    "Logits of the old policy π_old (|θ| <= 30). Default: zeros (uniform).",
                    None,
                    max_items=witnesses.ppo.MAX_ARMS,
                    nullable=True,
                ),
                Number(
                    "epsilon",
                    "Clip range ε: ratios are clipped to [1 − ε, 1 + ε].",
                    foundations.PPO_EPSILON,
                    exclusive_minimum=0.0,
                    maximum=witnesses.ppo.MAX_EPSILON,
                ),
                Number(
                    "learning_rate",
                    "Step size of the gradient ascent on each surrogate.",
                    foundations.PPO_LEARNING_RATE,
                    exclusive_minimum=0.0,
                    maximum=foundations.MAX_LEARNING_RATE,
                ),
                Integer(
                    "epochs",
                    "Gradient-ascent steps on each surrogate.",
                    foundations.PPO_EPOCHS,
                    1,
                    witnesses.ppo.MAX_EPOCHS,
                ),
            ),
            canonicalise=foundations.canonical_ppo_clip,
            compute=foundations.compute_ppo_clip,
            caps=foundations.PPO_CAPS,
        ),
        # The preference pages: Bradley–Terry, DPO, reward hacking.
        *PREFERENCE_KINDS,
    )
}

# The symbol each parameter is shown with in a demo state's title.
SYMBOLS = {"beta": "β", "pi_ref": "π_ref", "l2": "l2", "shift": "shift"}


def demo_kind_get(slug: str) -> DemoKind | None:
    return KINDS.get(slug)


def demo_kind_describe(kind: DemoKind) -> dict[str, Any]:
    return {
        "kind": kind.slug,
        "title": kind.title,
        "summary": kind.summary,
        "parameters": kind.json_schema(),
        "defaults": kind.defaults(),
        "caps": CAPS if kind.caps is None else kind.caps,
        "code_version": code_version(),
    }


def demo_compute(kind: str, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run a kind on canonical parameters; raises WitnessInputError for what validation missed."""
    return KINDS[kind].compute(params, progress)
