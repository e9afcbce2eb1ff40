"""Curator and admin login: OAuth2 password flow, argon2-hashed passwords, short-lived HS256 JWTs.

Citizens' chat needs no credentials; everything under ``/admin`` needs a token whose role allows it
(``admin`` can do everything a ``curator`` can, plus manage users).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from api.db import ApiDatabase, UserRow
from api.errors import Conflict, Forbidden, Unauthorized

ROLES = ("curator", "admin")
_ALGORITHM = "HS256"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    username: str
    role: str

    def allows(self, role: str) -> bool:
        return self.role == "admin" or self.role == role


class Auth:
    """Users in the API database and the tokens issued for them."""

    def __init__(self, db: ApiDatabase, secret: str, ttl_s: int = 8 * 3600) -> None:
        self._db = db
        self._secret = secret
        self._ttl_s = ttl_s

    def create_user(self, username: str, password: str, role: str) -> User:
        """Add a user. Raises ``Conflict`` when the name exists, ``ValueError`` for a bad role/password."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if len(password) < 8:
            raise ValueError("password must have at least 8 characters")
        try:
            with self._db.session() as s:
                if s.get(UserRow, username) is not None:
                    raise Conflict(f"user {username!r} exists")
                s.add(UserRow(username=username, password_hash=_hasher.hash(password), role=role))
        except IntegrityError:  # another API worker added the same name between our check and commit
            raise Conflict(f"user {username!r} exists") from None
        return User(username, role)

    def has_users(self) -> bool:
        with self._db.session() as s:
            return s.query(UserRow).first() is not None

    def authenticate(self, username: str, password: str) -> User:
        with self._db.session() as s:
            row = s.get(UserRow, username)
            stored = (row.password_hash, row.role) if row else None
        if stored is None:
            _hasher.hash(password)  # same work for unknown names: no user enumeration by timing
            raise Unauthorized("wrong user name or password")
        try:
            _hasher.verify(stored[0], password)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("wrong user name or password") from None
        return User(username, stored[1])

    def issue(self, user: User, now: dt.datetime | None = None) -> str:
        now = now or dt.datetime.now(dt.UTC)
        claims = {
            "sub": user.username,
            "role": user.role,
            "iat": now,
            "exp": now + dt.timedelta(seconds=self._ttl_s),
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> User:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid token") from None
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthorized("invalid token")
        return User(str(claims["sub"]), str(role))

    @staticmethod
    def require(user: User, role: str) -> User:
        if not user.allows(role):
            raise Forbidden(f"role {role!r} required")
        return user
