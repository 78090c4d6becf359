"""Every write to accounts: phone codes, sign-up, log-in bookkeeping, profiles."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bridgenote.accounts import sms
from bridgenote.accounts.avatars import process_avatar, store_avatar
from bridgenote.accounts.models import (
    LANGUAGE_CHOICES,
    UI_LANGUAGE_CHOICES,
    AccountSession,
    InviteCode,
    PhoneCode,
    PhoneCodePurpose,
    Profile,
    User,
    WaitlistEntry,
)
from bridgenote.accounts.phone import dialling_code
from bridgenote.accounts.territory import territory_for_ip
from bridgenote.accounts.validators import validate_handle
from bridgenote.core import ratelimit
from bridgenote.core.jobs import enqueue_on_commit
from bridgenote.core.writes import write_statement

DAY = 24 * 3600
HOUR = 3600


class CodeError(Exception):
    """A code could not be sent or was not accepted; ``message`` is for the user."""

    def __init__(self, reason: str, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.reason, self.message, self.retry_after = reason, message, retry_after


def _wait_message(seconds: int) -> str:
    if seconds < 120:
        return ngettext(
            "Please wait %(count)d second before asking again.",
            "Please wait %(count)d seconds before asking again.",
            seconds,
        ) % {"count": seconds}
    if seconds >= 2 * HOUR:
        hours = (seconds + HOUR - 1) // HOUR
        return ngettext(
            "Please wait %(count)d hour before asking again.",
            "Please wait %(count)d hours before asking again.",
            hours,
        ) % {"count": hours}
    minutes = (seconds + 59) // 60
    return ngettext(
        "Please wait %(count)d minute before asking again.",
        "Please wait %(count)d minutes before asking again.",
        minutes,
    ) % {"count": minutes}


def _hash(code_id: int, code: str) -> str:
    return salted_hmac(
        "bridgenote.accounts.PhoneCode", f"{code_id}:{code}", algorithm="sha256"
    ).hexdigest()


@dataclass(frozen=True)
class SentCode:
    id: int
    phone: str
    expires_at: datetime


def phone_code_send(*, phone: str, ip: str, purpose: str = PhoneCodePurpose.SIGN_IN) -> SentCode:
    """Send a fresh 6-digit code to ``phone`` (E.164) and return its id.

    Refuses (CodeError "cooldown" / "limited") within the resend cooldown of the last code to
    this number, and beyond the limits per number, per client IP and per dialling code per
    day. Only a keyed hash of the code is stored. If the SMS cannot be sent, nothing usable is
    left behind and CodeError "send_failed" is raised.
    """
    now = timezone.now()
    last = PhoneCode.objects.filter(phone=phone).order_by("-created_at").first()
    cooldown = settings.SMS_RESEND_SECONDS
    if last is not None and (now - last.created_at).total_seconds() < cooldown:
        wait = cooldown - int((now - last.created_at).total_seconds())
        raise CodeError("cooldown", _wait_message(max(wait, 1)), max(wait, 1))
    limits = [
        (f"sms:number:{phone}", settings.SMS_LIMIT_PER_NUMBER_PER_DAY, DAY),
        (f"sms:ip:{ip}", settings.SMS_LIMIT_PER_IP_PER_HOUR, HOUR),
        (f"sms:cc:{dialling_code(phone)}", settings.SMS_LIMIT_PER_DIALLING_CODE_PER_DAY, DAY),
    ]
    for key, limit, window in limits:
        decision = ratelimit.hit(key, limit=limit, window=window)
        if not decision.allowed:
            raise CodeError("limited", _wait_message(decision.retry_after), decision.retry_after)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        # Old codes of this number are dead weight (the cooldown only looks at the newest).
        PhoneCode.objects.filter(phone=phone, created_at__lt=now - timedelta(days=2)).delete()
        row = PhoneCode(
            phone=phone,
            purpose=purpose,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        )
        row.code_hash = _hash(row.id, code)
        row.save()
    body = _("Your %(site)s code is %(code)s. It expires in 10 minutes. Never share it.") % {
        "site": settings.SITE_NAME,
        "code": code,
    }
    try:
        sms.send_sms(to=phone, body=body)
    except sms.SMSError:
        PhoneCode.objects.filter(pk=row.pk).delete()
        raise CodeError(
            "send_failed", _("We could not send the code. Please try again in a few minutes.")
        ) from None
    return SentCode(id=row.id, phone=phone, expires_at=row.expires_at)


def phone_code_check(*, code_id: int, phone: str, code: str) -> None:
    """Accept ``code`` for the code row ``code_id`` sent to ``phone``, once, or raise CodeError.

    Each guess counts, atomically: at most SMS_CODE_MAX_TRIES guesses per code, none after it
    expired or was used. A right code is marked used in the same conditional UPDATE that
    checks it is unused, so it signs in at most once.
    """
    now = timezone.now()
    rows = PhoneCode.objects.filter(pk=code_id, phone=phone)
    counted = rows.filter(
        used_at__isnull=True, expires_at__gt=now, attempts__lt=settings.SMS_CODE_MAX_TRIES
    ).update(attempts=F("attempts") + 1)
    if not counted:
        row = rows.first()
        if row is None or row.used_at is not None:
            raise CodeError("used", _("This code has already been used. Ask for a new one."))
        if row.expires_at <= now:
            raise CodeError("expired", _("This code has expired. Ask for a new one."))
        raise CodeError("too_many", _("Too many wrong tries. Ask for a new code."))
    row = rows.get()
    if not constant_time_compare(row.code_hash, _hash(row.id, (code or "").strip())):
        # This guess was counted; ``attempts`` may already include racing guesses.
        left = settings.SMS_CODE_MAX_TRIES - row.attempts
        if left <= 0:
            raise CodeError("wrong", _("Too many wrong tries. Ask for a new code."))
        raise CodeError(
            "wrong",
            ngettext("Wrong code. %(count)d try left.", "Wrong code. %(count)d tries left.", left)
            % {"count": left},
        )
    if not rows.filter(used_at__isnull=True).update(used_at=now):
        raise CodeError("used", _("This code has already been used. Ask for a new one."))


def _clean_languages(values: list[str]) -> list[str]:
    allowed = [code for code, _label in LANGUAGE_CHOICES]
    return [code for code in allowed if code in set(values)]


def _ui_language(value: str) -> str:
    return value if value in dict(UI_LANGUAGE_CHOICES) else ""


@transaction.atomic
def api_access_revoke(*, user_id: int) -> int:
    """End every OAuth credential of the account: access and refresh tokens, unused
    authorization codes. Called when its password changes or is removed (``User.save``), as
    Mastodon revokes an account's access then; apps must be authorized again. Returns how many
    access tokens went."""
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_id_token_model,
        get_refresh_token_model,
    )

    access_token = get_access_token_model()
    _, deleted = access_token.objects.filter(user_id=user_id).delete()
    get_refresh_token_model().objects.filter(user_id=user_id).delete()
    get_grant_model().objects.filter(user_id=user_id).delete()
    get_id_token_model().objects.filter(user_id=user_id).delete()
    return deleted.get(access_token._meta.label, 0)


@transaction.atomic
def user_sign_up(
    *,
    handle: str,
    ip: str,
    phone: str | None = None,
    email: str | None = None,
    ui_language: str = "",
    password: str | None = None,
    invite_code: str = "",
) -> User:
    """Create an account and its profile together, or nothing (ValidationError on the handle;
    code "closed" when registrations are closed, "invite" for a missing or spent invitation
    while they are by invitation, which is redeemed in the same transaction).

    A phone number passed here must already be verified by a code. The territory comes from
    ``ip``; the address itself is not stored.
    """
    registrations_check()
    handle = validate_handle(handle)
    if phone and User.objects.filter(phone=phone).exists():
        raise ValidationError(_("An account with this phone number already exists."))
    try:
        with transaction.atomic():
            if settings.REGISTRATIONS == "invite":
                invite_redeem(code=invite_code)
            user = User.objects.create_user(
                handle=handle,
                password=password,
                phone=phone or None,
                phone_verified=bool(phone),
                email=email or None,
            )
    except IntegrityError:
        # Lost a race with another sign-up (the constraints are the judge): say which.
        if phone and User.objects.filter(phone=phone).exists():
            raise ValidationError(
                _("An account with this phone number already exists."), code="phone_taken"
            ) from None
        raise ValidationError(
            _("@%(handle)s is already taken. Choose another."),
            code="taken",
            params={"handle": handle},
        ) from None
    profile_create(user=user, ip=ip, ui_language=ui_language)
    return user


def profile_create(*, user: User | AbstractBaseUser, ip: str, ui_language: str = "") -> Profile:
    """The profile of a new account (idempotent), with its territory and UI language."""
    profile, _created = Profile.objects.get_or_create(
        user=user,
        defaults={
            "display_name": getattr(user, "handle", ""),
            "ui_language": _ui_language(ui_language),
            "ip_territory": territory_for_ip(ip),
        },
    )
    if _created:
        _profile_changed(profile.user_id)
    return profile


def _profile_changed(user_id: int) -> None:
    """People search follows handles and display names (after the commit)."""
    # Imported here: search reads accounts' models, so accounts must not import it at load.
    from bridgenote.search.tasks import search_index_user_task

    enqueue_on_commit(search_index_user_task, user_id)


def profile_touch_territory(
    *, user: User | AbstractBaseUser, ip: str, stored: str | None = None
) -> str:
    """Update the user's IP territory from ``ip`` (at log-in and posting); return the code.

    An address that tells nothing (private, loopback) keeps the territory already stored.
    ``stored``: the territory the caller has just read from the profile (saves reading it).
    """
    code = territory_for_ip(ip)
    if code:
        if code != stored:
            with write_statement():
                Profile.objects.filter(user_id=user.pk).exclude(ip_territory=code).update(
                    ip_territory=code
                )
        return code
    if stored is not None:
        return stored
    rows = Profile.objects.filter(user_id=user.pk).values_list("ip_territory", flat=True)
    return rows.first() or ""


def sessions_end(*, user_id: int) -> int:
    """Sign the account out everywhere: delete its sessions (``AccountSession.user_id``, kept
    by the session engine on every save). The one way sessions are ended for an account (a
    suspension); returns how many were. Nobody else's session is read."""
    ended, _ = AccountSession.objects.filter(user_id=user_id).delete()
    return ended


def user_logged_in(*, user: User | AbstractBaseUser, ip: str) -> None:
    """Bookkeeping after any log-in: the profile exists and its territory is fresh, and the
    Discover state the next page will want is ready."""
    # Imported here: feeds reads accounts' models, so accounts must not import it at load.
    from bridgenote.feeds.services import viewer_signed_in

    profile_create(user=user, ip=ip)
    profile_touch_territory(user=user, ip=ip)
    ratelimit.reset(f"login:ip:{ip}", window=settings.LOGIN_ATTEMPT_WINDOW_SECONDS)
    viewer_signed_in(user_id=user.pk)


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    bio: str,
    languages_spoken: list[str],
    languages_learning: list[str],
    ui_language: str | None = None,
) -> Profile:
    """Save what the profile form edits; languages are kept to the known codes, in order."""
    profile = Profile.objects.select_for_update().get(user=user)
    profile.display_name = display_name.strip() or user.handle
    profile.languages_spoken = _clean_languages(languages_spoken)
    profile.languages_learning = _clean_languages(languages_learning)
    fields = ["display_name", "languages_spoken", "languages_learning"]
    fields += _moderate_bio(profile, bio.strip())
    if ui_language is not None:
        profile.ui_language = _ui_language(ui_language)
        fields.append("ui_language")
    profile.save(update_fields=fields)
    _profile_changed(user.pk)
    _languages_changed(user.pk)
    return profile


def _languages_changed(user_id: int) -> None:
    """The languages a user speaks and learns decide their Discover home community and mix."""
    # Imported here: feeds reads accounts' models, so accounts must not import it at load.
    from bridgenote.feeds.services import viewer_changed

    viewer_changed(user_id=user_id)


def _moderate_bio(profile: Profile, bio: str) -> list[str]:
    """Set the new bio through the moderation rules (a held one waits in ``bio_pending``);
    a "refuse at submit" rule is a ValidationError on "bio". Returns the fields set."""
    from bridgenote.moderation.services import ModerationRefused, bio_submit

    try:
        return bio_submit(profile=profile, bio=bio)
    except ModerationRefused as refused:
        raise ValidationError({"bio": ValidationError(refused.message, code="refused")}) from None


def profile_set_avatar(*, user: User, image: bytes | IO[bytes]) -> str:
    """Store a new avatar and point the profile at it; return its storage name.

    ``image`` is either the WebP made by ``avatars.process_avatar`` or an upload, which is
    validated and re-encoded here (ValidationError: nothing stored, the old avatar kept).
    """
    webp = image if isinstance(image, bytes) else process_avatar(image)
    name = store_avatar(webp)
    old = Profile.objects.filter(user=user).values_list("avatar", flat=True).first()
    Profile.objects.filter(user=user).update(avatar=name)
    if old and old != name:
        transaction.on_commit(lambda: default_storage.delete(old))
    return name


def profile_set_ui_language(*, user: User | AbstractBaseUser, language: str) -> None:
    """Remember the UI language the user chose, so it follows them to new devices."""
    Profile.objects.filter(user_id=user.pk).update(ui_language=_ui_language(language))


# --- registrations: open, by invitation, closed with a waitlist ---------------------------------
def registrations_check() -> None:
    """ValidationError (code "closed") when this instance takes no new accounts."""
    if settings.REGISTRATIONS == "closed":
        raise ValidationError(
            _("This instance is not taking new accounts right now. Join the waiting list."),
            code="closed",
        )


def _invite_hash(code: str) -> str:
    return hashlib.sha256("".join(code.split()).upper().encode()).hexdigest()


def invite_create(
    *, created_by: User | None = None, max_uses: int = 1, days: int | None = None, note: str = ""
) -> tuple[InviteCode, str]:
    """A new invitation code, returned once in clear (only its hash is stored): 12 characters
    of an unambiguous alphabet, grouped as XXXX-XXXX-XXXX."""
    if max_uses < 1:
        raise ValueError("max_uses must be at least 1")
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _i in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    invite = InviteCode.objects.create(
        code_hash=_invite_hash(code.replace("-", "")),
        max_uses=max_uses,
        expires_at=timezone.now() + timedelta(days=days) if days else None,
        created_by=created_by,
        note=note[:200],
    )
    return invite, code


def _invite_error() -> ValidationError:
    return ValidationError(
        _("This invitation code is not valid or has been used up."), code="invite"
    )


def invite_valid(*, code: str) -> bool:
    """Whether ``code`` would be accepted now (for forms; redeeming checks again)."""
    cleaned = "".join(code.replace("-", "").split())
    if not cleaned:
        return False
    invite = InviteCode.objects.filter(code_hash=_invite_hash(cleaned)).first()
    return bool(
        invite
        and invite.uses < invite.max_uses
        and (invite.expires_at is None or invite.expires_at > timezone.now())
    )


@transaction.atomic
def invite_redeem(*, code: str) -> InviteCode:
    """Use up one use of an invitation (a conditional UPDATE, so two sign-ups racing for its
    last use cannot both win). ValidationError (code "invite") when missing, unknown, expired
    or used up; call it in the sign-up's transaction so a failed sign-up returns the use."""
    cleaned = "".join(code.replace("-", "").split())
    if not cleaned:
        raise ValidationError(_("Enter your invitation code."), code="invite")
    now = timezone.now()
    claimed = (
        InviteCode.objects.filter(code_hash=_invite_hash(cleaned), uses__lt=F("max_uses"))
        .exclude(expires_at__lte=now)
        .update(uses=F("uses") + 1)
    )
    if not claimed:
        raise _invite_error()
    return InviteCode.objects.get(code_hash=_invite_hash(cleaned))


def waitlist_join(*, contact: str, kind: str, ip: str, ui_language: str = "") -> WaitlistEntry:
    """Put a phone number (already E.164) or an e-mail address on the waiting list, once.
    At most ``WAITLIST_PER_IP_PER_HOUR`` per client IP (ValidationError code "rate")."""
    if kind not in WaitlistEntry.Kind.values:
        raise ValueError(f"unknown contact kind {kind!r}")
    decision = ratelimit.hit(
        f"waitlist:ip:{ip}", limit=settings.WAITLIST_PER_IP_PER_HOUR, window=3600
    )
    if not decision.allowed:
        raise ValidationError(
            _("Too many requests from your network. Try again later."), code="rate"
        )
    contact = contact.strip()
    if kind == WaitlistEntry.Kind.EMAIL:
        contact = contact.lower()
    entry, _created = WaitlistEntry.objects.get_or_create(
        contact=contact, defaults={"kind": kind, "ui_language": _ui_language(ui_language)}
    )
    return entry
