"""What a new password must be, after NIST SP 800-63B (5.1.1.2): long enough, not common, not
built from the account's own name, and no composition rules (any printable or Unicode character).

Guessability is estimated with zxcvbn, which knows common passwords, names, keyboard patterns,
dates and l33t spellings, and takes the account's own words as extra dictionary entries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from zxcvbn import zxcvbn

from togglr.domain.errors import InvalidInputError

MIN_LENGTH = 8
MAX_LENGTH = 256  # NIST asks for at least 64; argon2 hashes any length at the same cost
# zxcvbn score 3: about 10^8 guesses or more ("safely unguessable" online, slow-hash offline).
MIN_SCORE = 3
# zxcvbn's cost grows steeply with length (0.1 s at 32 characters, 0.5 s at 64 on a busy node),
# so only the start of a long password is scored. A weak start is a weak password; a strong
# start cannot be weakened by what follows.
SCORED_PREFIX = 32
# Words that make a password specific to this service, whoever the user is.
SERVICE_WORDS: tuple[str, ...] = ("togglr",)


def context_words(username: str, email: str) -> list[str]:
    """The account's own words, which a guesser tries first."""
    local = email.split("@", 1)[0]
    return [w for w in (username, email, local, *SERVICE_WORDS) if w]


def password_problem(password: str, context: Iterable[str] = ()) -> str | None:
    """Why `password` is not acceptable, or None. CPU-bound: call `check_new_password` instead."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"password must be at most {MAX_LENGTH} characters"
    if not password.strip():
        return "password must not be only spaces"
    result = zxcvbn(password[:SCORED_PREFIX], user_inputs=[w.lower() for w in context])
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    hints = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    reason = " ".join(h for h in hints if h) or "Add another word or two."
    return f"password is too easy to guess. {reason}"


async def check_new_password(password: str, context: Iterable[str] = ()) -> None:
    """Raise 400 weak_password with the reason. Scoring runs in a worker thread (tens of ms)."""
    problem = await asyncio.to_thread(password_problem, password, list(context))
    if problem is not None:
        raise InvalidInputError(problem, code="weak_password")
