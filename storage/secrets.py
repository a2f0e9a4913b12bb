"""Secrets kept in the database (Slack bot tokens from installs), encrypted with SAMSKAP_SECRET_KEY.

The key is one or more Fernet keys separated by commas: the first encrypts, every one decrypts, so a
key is rotated by putting the new one first and dropping the old one once every row has been written
again. Without a key, values are stored as given. A stored value that is not a Fernet token (written
before a key was set) still reads as it is, and is encrypted the next time it is written.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every Fernet token starts with its version byte 0x80, which is "gAAAAA" in url-safe base64.
_FERNET_PREFIX = "gAAAAA"


class SecretKeyError(ValueError):
    """The stored value was encrypted with a key that is not among SAMSKAP_SECRET_KEY's."""


class TokenCipher:
    def __init__(self, keys: list[Fernet] | None = None) -> None:
        self._first = keys[0] if keys else None
        self._fernet = MultiFernet(keys) if keys else None

    @staticmethod
    def from_keys(keys: str) -> TokenCipher:
        """From SAMSKAP_SECRET_KEY; raises ValueError for anything but Fernet keys."""
        return TokenCipher([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def encrypt(self, value: str) -> str:
        if self._fernet is None or not value:
            return value
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(_FERNET_PREFIX):
            return stored  # written in clear, before a key was set
        if self._fernet is None:
            raise SecretKeyError("the value is encrypted, and SAMSKAP_SECRET_KEY is not set")
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise SecretKeyError("the value was encrypted with a key SAMSKAP_SECRET_KEY does not hold") from None

    def reencrypt(self, stored: str) -> str:
        """`stored` under the first key (unchanged if it already is, or if there is no key)."""
        if self._first is None or not stored:
            return stored
        if not stored.startswith(_FERNET_PREFIX):
            return self.encrypt(stored)
        try:
            self._first.decrypt(stored.encode())
            return stored
        except InvalidToken:
            return self.encrypt(self.decrypt(stored))
