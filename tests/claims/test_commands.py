import pytest
from django.core.management import CommandError, call_command

from .factories import linked_claim, record_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def chains(reviewer):
    """Two claims with three reviews each."""
    claims = [linked_claim(), linked_claim()]
    reviews = {claim.pk: [record_review(claim, reviewer) for _ in range(3)] for claim in claims}
    return claims, reviews


def verify() -> str:
    with pytest.raises(CommandError) as error:
        call_command("verify_reviews")
    assert error.value.returncode != 0
    return str(error.value)


def test_intact_chains_verify(chains, capsys):
    """Untouched chains pass and the command reports how many reviews it checked."""
    call_command("verify_reviews")
    assert "6 reviews of 2 claims verified" in capsys.readouterr().out


def test_an_edited_review_is_caught(chains, tamper):
    """A summary rewritten in SQL no longer matches its hash: the command names that review."""
    claims, reviews = chains
    target = reviews[claims[1].pk][1]
    tamper("UPDATE claims_claimreview SET summary = %s WHERE id = %s", ["softer", target.pk])
    message = verify()
    assert f"{claims[1].key} review #2" in message
    assert "no longer matches its stored hash" in message


def test_a_deleted_review_is_caught(chains, tamper):
    """Deleting a middle review leaves a gap: the command names the missing link."""
    claims, reviews = chains
    target = reviews[claims[0].pk][1]
    tamper("DELETE FROM claims_claimreview WHERE id = %s", [target.pk])
    message = verify()
    assert f"{claims[0].key} review #2" in message
    assert "missing" in message


def test_a_cut_off_head_is_caught_by_the_log_and_against_saved_heads(chains, tamper, tmp_path):
    """Deleting a claim's newest review and repointing the claim leaves its own chain
    consistent; the registry-wide log shows the gap, and heads saved earlier name the cut."""
    claims, reviews = chains
    heads = tmp_path / "heads.json"
    call_command("verify_reviews", save_heads=str(heads))
    _, second, third = reviews[claims[0].pk]
    tamper("UPDATE claims_claim SET latest_review_id = %s WHERE id = %s", [second.pk, claims[0].pk])
    tamper("DELETE FROM claims_claimreview WHERE id = %s", [third.pk])
    message = verify()
    assert "the log jumps from #2 to #4" in message
    assert "latest review is not the head" not in message
    with pytest.raises(CommandError) as error:
        call_command("verify_reviews", check_heads=str(heads))
    assert f"{claims[0].key} review #3: a review recorded in the saved heads" in str(error.value)


def test_reordered_reviews_are_caught(chains, tamper):
    """Swapping two reviews' sequence numbers breaks the previous-hash links at the first."""
    claims, reviews = chains
    first, second, _ = reviews[claims[0].pk]
    tamper("UPDATE claims_claimreview SET sequence = 99 WHERE id = %s", [first.pk])
    tamper("UPDATE claims_claimreview SET sequence = 1 WHERE id = %s", [second.pk])
    tamper("UPDATE claims_claimreview SET sequence = 2 WHERE id = %s", [first.pk])
    message = verify()
    assert f"{claims[0].key} review #1" in message
    assert "previous hash" in message


def test_a_forged_verdict_is_caught(chains, tamper):
    """Upgrading a verdict in SQL is caught even though the chain links are untouched."""
    claims, reviews = chains
    target = reviews[claims[0].pk][2]
    tamper(
        "UPDATE claims_claimreview SET verdict = 'substantively_reviewed', "
        "reviewer_label = 'someone-else' WHERE id = %s",
        [target.pk],
    )
    assert f"{claims[0].key} review #3" in verify()


def test_a_claim_pointing_at_an_old_review_is_caught(chains, tamper):
    """A claim whose latest-review pointer was moved back to an earlier review is reported."""
    claims, reviews = chains
    tamper(
        "UPDATE claims_claim SET latest_review_id = %s WHERE id = %s",
        [reviews[claims[1].pk][0].pk, claims[1].pk],
    )
    message = verify()
    assert claims[1].key in message
    assert "latest review is not the head" in message


def test_every_broken_link_is_named_on_its_own_line(chains, tamper):
    """With two tampered claims, the command names both, one line each."""
    claims, reviews = chains
    for claim in claims:
        tamper(
            "UPDATE claims_claimreview SET summary = 'x' WHERE id = %s", [reviews[claim.pk][2].pk]
        )
    lines = verify().splitlines()
    assert lines[0].startswith("2 problems in the review trail")
    assert lines[1:] == [
        f"{claim.key} review #3: its content no longer matches its stored hash" for claim in claims
    ]


def test_a_badge_forged_on_the_claim_row_is_caught(chains, tamper):
    """Changing the claim's copy of its latest verdict (what the badge reads) is reported."""
    claims, _ = chains
    tamper(
        "UPDATE claims_claim SET latest_review_verdict = 'disputed' WHERE id = %s",
        [claims[1].pk],
    )
    message = verify()
    assert claims[1].key in message
    assert "latest review is not the head" in message
