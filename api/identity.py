"""实名认证 over the API: verifying the identity provider's signed assertion.

A citizen proves who they are to the identity provider, not to GovGuide: the portal's unified identity
platform (统一身份认证 / 电子身份证) for the web and app chat, the ID-card reader service of a kiosk or
robot. The provider then vouches with a short-lived JWT (HS256, shared key ``api.identity_secret``):
``iss`` = ``api.identity_issuer``, ``aud`` = "govguide", ``sub`` = the citizen id, ``sid`` = the chat
session it is for, ``exp`` within minutes. Binding the assertion to one session means a leaked token
cannot verify another conversation.
"""

from __future__ import annotations

import time
import uuid

import jwt

from api.errors import Unauthorized

AUDIENCE = "govguide"
MAX_TTL_S = 600  # an assertion is used right after the citizen verified: refuse long-lived ones


class IdentityVerifier:
    """Checks assertions (and, for the development provider and tests, issues them)."""

    def __init__(self, secret: str, issuer: str) -> None:
        self._secret = secret
        self._issuer = issuer

    def issue(self, citizen_id: str, session_id: str, ttl_s: int = 120) -> str:
        """An assertion as the identity provider would sign it."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": AUDIENCE,
            "sub": citizen_id,
            "sid": session_id,
            "iat": now,
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, assertion: str, session_id: str) -> str:
        """The citizen id the assertion vouches for in ``session_id``.

        Raises:
            Unauthorized: bad signature, wrong issuer/audience, expired or too long-lived, or issued for
                another session.
        """
        try:
            claims = jwt.decode(
                assertion,
                self._secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "sid", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the identity assertion has expired; verify again") from None
        except jwt.InvalidTokenError as e:
            raise Unauthorized(f"invalid identity assertion: {e}") from None
        if claims["sid"] != session_id:
            raise Unauthorized("the identity assertion was issued for another session")
        if int(claims["exp"]) - int(claims["iat"]) > MAX_TTL_S:
            raise Unauthorized(f"identity assertions may live at most {MAX_TTL_S} s")
        citizen = str(claims["sub"])
        if not citizen or len(citizen) > 64:
            raise Unauthorized("the identity assertion names no citizen")
        return citizen
