"""Guessing passwords meets 429s and lockouts, by account and by client, on the token endpoint
and the admin login; tokens expire, are listed and revoked, and a password change revokes them.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from learning_platform.api import SignInAccountThrottle, SignInClientThrottle

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    # Hundreds of sign-ins: a fast hasher keeps the time on the counting, not on PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_throttles(monkeypatch):
    """Lift the request-rate throttles so that only the lockout is under test."""
    for throttle in (SignInClientThrottle, SignInAccountThrottle):
        monkeypatch.setattr(throttle, "rate", "100000/min", raising=False)


def sign_in(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        TOKEN, {"username": username, "password": password}, format="json"
    )


def test_wrong_passwords_lock_the_account_out_even_from_new_clients(learner, no_throttles):
    """The failure that reaches the limit locks the account (429), even for the right password."""
    for i in range(LIMIT - 1):
        assert sign_in("alice", "wrong", ip=f"10.0.1.{i}").status_code == 400
    assert sign_in("alice", "wrong", ip="10.0.1.99").status_code == 429
    locked = sign_in("alice", "alice-password", ip="10.0.2.1")
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"] and int(locked["Retry-After"]) > 0


def test_failures_across_accounts_lock_the_client_out(learner, other_learner, no_throttles):
    """One client guessing many accounts is locked out too, for an account it never tried."""
    for i in range(LIMIT - 1):
        assert sign_in(f"nobody{i}", "wrong", ip="10.0.3.1").status_code == 400
    assert sign_in("nobody", "wrong", ip="10.0.3.1").status_code == 429
    assert sign_in("bob", "bob-password", ip="10.0.3.1").status_code == 429
    assert sign_in("bob", "bob-password", ip="10.0.3.2").status_code == 200


def test_behind_a_trusted_proxy_clients_are_told_apart_by_the_forwarded_address(
    learner, no_throttles, settings
):
    """With TRUSTED_PROXY_COUNT = 1, one client's lockout does not lock out the proxy's others."""
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(client: str, username: str, password: str):
        return APIClient(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=client).post(
            TOKEN, {"username": username, "password": password}, format="json"
        )

    for i in range(LIMIT):
        via_proxy("203.0.113.7", f"nobody{i}", "wrong")
    assert via_proxy("203.0.113.7", "alice", "alice-password").status_code == 429
    assert via_proxy("198.51.100.2", "alice", "alice-password").status_code == 200


def test_failure_counts_live_in_the_database_every_process_shares(learner, no_throttles):
    """The counters are rows (django-axes' database handler), not one process's memory."""
    for _ in range(3):
        sign_in("alice", "wrong")
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 3


def test_a_success_before_the_limit_resets_the_account_count(learner, no_throttles):
    """A right password before the limit starts the count again."""
    for i in range(LIMIT - 1):
        sign_in("alice", "wrong", ip=f"10.0.4.{i}")
    assert sign_in("alice", "alice-password", ip="10.0.5.1").status_code == 200
    for i in range(LIMIT - 1):
        sign_in("alice", "wrong", ip=f"10.0.6.{i}")
    assert sign_in("alice", "alice-password", ip="10.0.7.1").status_code == 200


def test_one_client_hammering_the_token_endpoint_meets_429(db):
    """Requests from one client beyond the per-client rate are throttled with Retry-After."""
    answers = [sign_in(f"user{i}", "x", ip="10.0.8.1") for i in range(25)]
    statuses = [answer.status_code for answer in answers]
    assert 429 in statuses and statuses.index(429) <= 20
    assert int(answers[-1]["Retry-After"]) > 0


def test_one_account_tried_from_many_clients_meets_429(learner):
    """Sign-ins for one account beyond the per-account rate are throttled, whatever the client."""
    statuses = [sign_in("alice", "alice-password", ip=f"10.0.9.{i}").status_code for i in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]


def test_admin_login_locks_out_after_the_failure_limit(admin_user):
    """The admin login form meets the same lockout: 429 after the limit, right password or not."""
    client = Client(REMOTE_ADDR="10.0.10.1")
    for _ in range(LIMIT - 1):
        response = client.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/admin/login/", {"username": "root", "password": "wrong"})
    assert response.status_code == 429
    response = client.post("/admin/login/", {"username": "root", "password": "root-password"})
    assert response.status_code == 429


def test_two_hundred_guesses_meet_429_within_the_limits(learner, admin_user):
    """200 wrong passwords for one account from one client (and 50 on the admin login for
    another): refused with 429 from the failure limit on."""
    statuses = [sign_in("alice", f"guess-{i}", ip="10.0.11.1").status_code for i in range(200)]
    first = statuses.index(429) + 1
    refused = statuses.count(429)
    client = Client(REMOTE_ADDR="10.0.12.1")
    admin = [
        client.post("/admin/login/", {"username": "root", "password": f"guess-{i}"}).status_code
        for i in range(50)
    ]
    print(
        f"security: 200 wrong passwords on {TOKEN}: first 429 at attempt {first}, "
        f"{refused} of 200 refused with 429; 50 on /admin/login/: first 429 at attempt "
        f"{admin.index(429) + 1}, {admin.count(429)} of 50 refused with 429"
    )
    assert first <= LIMIT and refused >= 200 - LIMIT
    assert admin.index(429) < LIMIT and admin.count(429) >= 50 - LIMIT


# Tokens -----------------------------------------------------------------------------------


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_each_sign_in_issues_an_expiring_token_listed_for_its_owner(learner, other_learner):
    """Two sign-ins are two tokens; the owner lists both (the current one marked), not bob's."""
    first = sign_in("alice", "alice-password").json()
    second = sign_in("alice", "alice-password").json()
    sign_in("bob", "bob-password")
    listed = token_client(second["token"]).get(TOKENS).json()["results"]
    assert {row["token_key"] for row in listed} == {first["token_key"], second["token_key"]}
    assert [row["current"] for row in listed] == [True, False]
    assert all(row["user"] == "alice" and row["expiry"] for row in listed)
    assert first["token"] not in str(listed)


def test_an_expired_token_is_refused(learner):
    """A token past its expiry is a 401."""
    token = sign_in("alice", "alice-password").json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert token_client(token).get(TOKENS).status_code == 401


def test_tokens_expire_after_the_configured_lifetime(learner):
    """A new token's expiry is TOKEN_TTL from now."""
    expiry = AuthToken.objects.create(user=learner)[0].expiry
    expected = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    assert abs((expiry - expected).total_seconds()) < 5


def test_the_owner_revokes_a_token_and_it_stops_working(learner):
    """DELETE on one's own token: 204, then the token is a 401."""
    issued = sign_in("alice", "alice-password").json()
    client = token_client(issued["token"])
    assert client.delete(f"{TOKENS}{issued['token_key']}/").status_code == 204
    assert client.get(TOKENS).status_code == 401


def test_a_learner_cannot_revoke_someone_elses_token(learner, other_learner):
    """Bob's token is not Alice's to revoke: 404, and it keeps working."""
    bob = sign_in("bob", "bob-password").json()
    alice = token_client(sign_in("alice", "alice-password").json()["token"])
    assert alice.delete(f"{TOKENS}{bob['token_key']}/").status_code == 404
    assert token_client(bob["token"]).get(TOKENS).status_code == 200


def test_an_admin_lists_and_revokes_anyones_token(learner, admin_user):
    """An admin sees a user's tokens with ?user= and revokes them."""
    alice = sign_in("alice", "alice-password").json()
    admin = APIClient()
    admin.force_authenticate(admin_user)
    listed = admin.get(TOKENS, {"user": "alice"}).json()["results"]
    assert [row["token_key"] for row in listed] == [alice["token_key"]]
    assert admin.delete(f"{TOKENS}{alice['token_key']}/").status_code == 204
    assert token_client(alice["token"]).get(TOKENS).status_code == 401


def test_changing_the_password_revokes_every_token(learner):
    """set_password() + save() revokes all of the user's tokens."""
    tokens = [sign_in("alice", "alice-password").json()["token"] for _ in range(2)]
    learner.set_password("a-new-long-password")
    learner.save()
    assert [token_client(token).get(TOKENS).status_code for token in tokens] == [401, 401]
    assert not AuthToken.objects.filter(user=learner).exists()


def test_saving_a_user_without_a_password_change_keeps_tokens(learner):
    """Only a password change revokes: an ordinary save leaves tokens alone."""
    token = sign_in("alice", "alice-password").json()["token"]
    learner.first_name = "Alice"
    learner.save()
    assert token_client(token).get(TOKENS).status_code == 200


def test_a_user_keeps_at_most_the_token_limit(learner, no_throttles, settings):
    """Beyond API_TOKEN_LIMIT_PER_USER live tokens, the oldest are revoked."""
    settings.API_TOKEN_LIMIT_PER_USER = 3
    tokens = [sign_in("alice", "alice-password").json()["token"] for _ in range(5)]
    assert AuthToken.objects.filter(user=learner).count() == 3
    assert token_client(tokens[0]).get(TOKENS).status_code == 401
    assert token_client(tokens[-1]).get(TOKENS).status_code == 200
