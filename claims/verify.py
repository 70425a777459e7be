"""Verifying a claim: running its code and demo witnesses and recording a signed verification."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from concepts.models import ConceptObject
from learning_platform.text import canonical_text

from . import signing
from .chain import sha256_json
from .code_runs import (
    RUNNABLE_LANGUAGES,
    CodeWitnessLimits,
    code_witness_run,
    interpreter_version,
    output_diff,
    output_matches,
)
from .fingerprints import claim_fingerprint
from .models import Claim, ClaimVerification
from .verification import invariant_for


@transaction.atomic
def claim_verification_record(
    *,
    claim: Claim,
    outcome: str,
    invariant: str,
    result_hash: str,
    witness_code_version: str,
    record: dict | None = None,
    verified_by=None,
) -> ClaimVerification:
    """Record whether the claim's witnesses, run, did what they must."""
    verification = ClaimVerification(
        claim=claim,
        outcome=outcome,
        invariant=invariant,
        result_hash=result_hash,
        witness_code_version=witness_code_version,
        record=record or {},
        fingerprint=claim_fingerprint(claim=claim),
        verified_by=verified_by,
    )
    verification.full_clean()
    verification_sign(verification, claim=claim)
    verification.save()
    return verification


def verification_sign(verification: ClaimVerification, *, claim: Claim) -> None:
    statement = signing.verification_statement(verification, claim_key=claim.key)
    verification.signing_key_id, verification.signature = signing.sign(statement)


@dataclass
class _WitnessCheck:
    holds: bool
    description: str
    record: dict
    evidence: list
    version: str


def _code_witness_check(witness: ConceptObject, limits: CodeWitnessLimits) -> _WitnessCheck:
    """Run the code and compare its stdout with the expected output it declares."""
    record: dict = {
        "key": witness.key,
        "version": witness.content_hash,
        "language": witness.language,
        "expected_output_declared": bool(witness.expected_output),
    }
    description = f"{witness.key}: exits 0 printing exactly its expected output"
    if witness.language.strip().lower() not in RUNNABLE_LANGUAGES:
        record.update(
            ran=False,
            exit_status=None,
            signal=None,
            limit=None,
            duration_seconds=None,
            stdout="",
            stdout_truncated=False,
            stderr_tail="",
            matched=False,
            reason=f"{witness.language!r} code cannot be run here",
        )
        return _WitnessCheck(
            False, description, record, [witness.key, witness.content_hash, "", None, False], ""
        )
    run = code_witness_run(source=witness.body, limits=limits)
    matched = bool(witness.expected_output) and output_matches(
        expected=witness.expected_output, actual=run.stdout
    )
    record.update(ran=True, **run.record(stdout_chars=limits.stdout_chars), matched=matched)
    if not witness.expected_output:
        record["reason"] = "declares no expected output to compare with"
    elif not matched:
        diff = output_diff(expected=witness.expected_output, actual=run.stdout)
        record["diff"] = diff[: limits.stdout_chars]
    evidence = [
        witness.key,
        witness.content_hash,
        sha256_json(canonical_text(run.stdout)),
        run.exit_status,
        matched,
    ]
    holds = matched and run.exit_status == 0
    return _WitnessCheck(holds, description, record, evidence, interpreter_version())


def _demo_witness_check(witness: ConceptObject) -> _WitnessCheck:
    """Compute the demo's stored state afresh and check its kind's invariant on the result."""
    from demos.services import demo_run_recompute

    try:
        fresh = demo_run_recompute(kind=witness.demo_kind, params=witness.params)
    except ValidationError as exc:
        raise ValidationError(
            {"witnesses": f"{witness.key} cannot run in its stored state: {exc.messages}"}
        ) from exc
    invariant = invariant_for(witness.demo_kind)
    holds = fresh.result is not None and invariant is not None and invariant.holds(fresh.result)
    record = {
        "key": witness.key,
        "kind": fresh.kind,
        "params_hash": fresh.params_hash,
        "code_version": fresh.code_version,
        "recomputed": True,
        "matched_cache": fresh.matched_cache,
        "cached_run": str(fresh.cached_run.pk) if fresh.cached_run else None,
        "invariant_holds": holds,
        **({"error": fresh.error} if fresh.error else {}),
    }
    description = invariant.description if invariant else "no invariant is defined"
    return _WitnessCheck(
        holds,
        f"{witness.key}: {description}",
        record,
        [witness.key, fresh.params_hash, sha256_json(fresh.result), fresh.matched_cache],
        fresh.code_version,
    )


def claim_verify(*, claim: Claim, user) -> tuple[ClaimVerification, bool]:
    """Run every code witness of the claim and compute every demo witness afresh; record whether
    each code witness printed its expected output and each demo state showed its invariant.

    Answers (verification, created). Verifying again what the latest verification already
    recorded (same claim fingerprint, outputs, results and code versions) answers that
    verification and adds no row. The runs happen outside any transaction.
    """
    witnesses = [
        link.concept_object
        for link in claim.claim_witnesses.select_related("concept_object__concept")
        if link.concept_object.kind in (ConceptObject.Kind.CODE, ConceptObject.Kind.DEMO)
    ]
    if not witnesses:
        raise ValidationError({"witnesses": "This claim has no code or demo witness to run."})
    limits = CodeWitnessLimits.from_settings()
    # Demos first: a stored state that cannot run is refused before any code runs.
    demos = [_demo_witness_check(w) for w in witnesses if w.kind == ConceptObject.Kind.DEMO]
    codes = [_code_witness_check(w, limits) for w in witnesses if w.kind == ConceptObject.Kind.CODE]
    checks = codes + demos
    outcome = (
        ClaimVerification.Outcome.PASSED
        if all(check.holds for check in checks)
        else ClaimVerification.Outcome.FAILED
    )
    result_hash = sha256_json(sorted(check.evidence for check in checks))
    code_version = ",".join(sorted({check.version for check in checks if check.version}))[:64]
    record = {
        "code_runs": [check.record for check in codes],
        "demo_runs": [check.record for check in demos],
        "limits": limits.as_record() if codes else {},
    }
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        latest = locked.latest_verification
        if (
            latest is not None
            and latest.outcome == outcome
            and latest.result_hash == result_hash
            and latest.witness_code_version == code_version
            and latest.fingerprint == claim_fingerprint(claim=locked)
        ):
            return latest, False
        verification = claim_verification_record(
            claim=locked,
            outcome=outcome,
            invariant="; ".join(check.description for check in checks)[:300],
            result_hash=result_hash,
            witness_code_version=code_version,
            record=record,
            verified_by=user if getattr(user, "is_authenticated", False) else None,
        )
        Claim.objects.filter(pk=claim.pk).update(latest_verification=verification)
    return verification, True
