"""API tokens: issued on sign-in, expiring, listed and revoked by their owner or an admin.

Tokens are django-rest-knox's: only a digest is stored, each sign-in issues a new token with
its own expiry (REST_KNOX["TOKEN_TTL"]), and a token is named in the API by its first
characters (``token_key``), never by the secret itself. Changing a password revokes every
token of that user (see ``tokens_revoke_on_password_change``).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_key: str
    expiry: datetime | None


class SignInRefused(Exception):
    """Credentials refused; ``locked_out`` when the account or the client is locked out."""

    def __init__(self, *, locked_out: bool) -> None:
        self.locked_out = locked_out
        super().__init__("locked out" if locked_out else "bad credentials")


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address
    they forwarded (the same rule as DRF's NUM_PROXIES, so lockouts and throttles agree)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR")


def token_sign_in(*, request, username: str, password: str) -> IssuedToken:
    """Check the credentials (counted by django-axes) and issue a new token."""
    http_request = getattr(request, "_request", request)
    user = authenticate(request=http_request, username=username, password=password)
    if user is None or not user.is_active:
        raise SignInRefused(locked_out=bool(getattr(http_request, "axes_locked_out", False)))
    # What django.contrib.auth.login() would send: the last login is recorded and django-axes
    # resets the account's failure count.
    user_logged_in.send(sender=user.__class__, request=http_request, user=user)
    return token_issue(user=user)


@transaction.atomic
def token_issue(*, user) -> IssuedToken:
    """A new token; the user's expired tokens and those beyond the per-user limit go."""
    instance, token = AuthToken.objects.create(user=user)
    live = token_list_for(user=user).filter(user=user)
    keep = live.values_list("digest", flat=True)[: settings.API_TOKEN_LIMIT_PER_USER]
    AuthToken.objects.filter(user=user).exclude(digest__in=list(keep)).delete()
    return IssuedToken(token=token, token_key=instance.token_key, expiry=instance.expiry)


def token_list_for(*, user, owner_username: str | None = None) -> QuerySet[AuthToken]:
    """Live tokens this user may see: their own, or (an admin) anyone's, newest first."""
    tokens = AuthToken.objects.filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
    if not user.is_superuser:
        tokens = tokens.filter(user=user)
    elif owner_username:
        tokens = tokens.filter(user__username=owner_username)
    return tokens.select_related("user").order_by("-created", "token_key")


@transaction.atomic
def token_revoke(*, user, token_key: str) -> int:
    """Revoke the tokens named by ``token_key`` that this user may see; how many were."""
    deleted, _ = token_list_for(user=user).filter(token_key=token_key).delete()
    return deleted


def tokens_revoke_for_user(*, user) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def tokens_revoke_on_password_change(sender, instance, created: bool, **kwargs) -> None:
    """post_save of the user model: a password set through set_password() revokes tokens."""
    if not created and getattr(instance, "_password", None) is not None:
        tokens_revoke_for_user(user=instance)
