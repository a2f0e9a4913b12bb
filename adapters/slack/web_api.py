"""Talking to the Slack Web API: the client, its retries, and Slack's errors in the core's words.

`AsyncWebClient` retries only connection errors by default. Here it also waits out 429s (for
the seconds in `Retry-After`, whole or not) and retries 5xx with back-off. A post is not sent again
blind after a 5xx or a connection that broke once the request was out: Slack may have kept it,
and the adapter looks for it before posting again (`SlackAdapter._post`). What still fails
becomes a `DeliveryError` with a platform-neutral code, so the outbox keeps the message and
tries again later when that can help.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.retry_after import retry_after_seconds
from adapters.slack.options import SlackOptions
from bot.adapter import DeliveryError

# Slack error strings → the core's platform-neutral codes; (code, retryable).
ERROR_CODES: dict[str, tuple[str, bool]] = {
    "channel_not_found": ("channel_not_found", False),
    "not_in_channel": ("not_in_channel", False),
    "is_archived": ("archived", False),
    "invalid_auth": ("invalid_auth", False),
    "not_authed": ("invalid_auth", False),
    "account_inactive": ("invalid_auth", False),
    "token_revoked": ("invalid_auth", False),
    "token_expired": ("invalid_auth", False),
    "missing_scope": ("forbidden", False),
    "restricted_action": ("forbidden", False),
    "cannot_dm_bot": ("forbidden", False),
    "user_not_found": ("gone", False),
    "user_disabled": ("gone", False),
    "message_not_found": ("gone", False),
    "cant_update_message": ("forbidden", False),
    "ratelimited": ("rate_limited", True),
    "fatal_error": ("server_error", True),
    "internal_error": ("server_error", True),
    "service_unavailable": ("server_error", True),
    "request_timeout": ("server_error", True),
}


# -- retries ----------------------------------------------------------------------------------

# Methods that post something the adapter can look for afterwards (its delivery mark): after a
# failure that may have come once Slack kept the post, they are not repeated here. An ephemeral
# post or a response_url answer cannot be looked for, and only the asker sees a second copy: a
# second copy is better than no answer, so those are repeated.
LOOKED_FOR_FIRST = frozenset({"chat.postMessage", "files.completeUploadExternal"})


def may_repeat(request: HttpRequest, error: Exception | None, api_url: str) -> bool:
    """Whether repeating `request` after `error` (or a 5xx) cannot post a second copy."""
    if isinstance(error, aiohttp.ClientConnectorError):
        return True  # it never connected: nothing was sent
    method = request.url.removeprefix(api_url).split("?", 1)[0]
    return method not in LOOKED_FOR_FIRST


Failed = Callable[[HttpResponse | None, Exception | None], bool]


class NotTwice(AsyncRetryHandler):
    """Retries what `fails` says failed (a dropped connection, a 5xx), with back-off, except a post
    that may have been kept (`may_repeat`)."""

    def __init__(self, fails: Failed, max_retry_count: int, interval: RetryIntervalCalculator, api_url: str) -> None:
        super().__init__(max_retry_count=max_retry_count, interval_calculator=interval)
        self.fails = fails
        self.api_url = api_url

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:  # fmt: skip
        return self.fails(response, error) and may_repeat(request, error, self.api_url)


def connection_failed(response: HttpResponse | None, error: Exception | None) -> bool:
    return isinstance(error, aiohttp.ServerConnectionError | aiohttp.ClientOSError)


def server_failed(response: HttpResponse | None, error: Exception | None) -> bool:
    """Every 5xx, not only the 500 and 503 of the built-in handler."""
    return response is not None and 500 <= response.status_code < 600


class RetryAfterHandler(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 for its `Retry-After` (the built-in one fails on a non-integer value).

    A wait longer than `max_wait` is not done in-line: the error goes up, and the outbox keeps
    the message and sends it after `retry_after`.
    """

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:  # fmt: skip
        if response is None or response.status_code != 429:
            return False
        return retry_after_seconds(response.headers, 1.0) <= self.max_wait

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:  # fmt: skip
        if response is None:
            raise error or RuntimeError("a rate-limit retry without a response")
        state.next_attempt_requested = True
        delay = retry_after_seconds(response.headers, 1.0)
        # A little jitter so that several waiting senders do not come back at the same instant.
        await asyncio.sleep(delay + random.uniform(0, min(0.25, delay / 10 + 0.01)))
        state.increment_current_attempt()


class ProportionalJitter(Jitter):
    """Up to a quarter more than the back-off (the built-in one adds up to a whole second)."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 4)


def backoff(options: SlackOptions) -> BackoffRetryIntervalCalculator:
    """The pause before each further attempt: `backoff_seconds`, doubled each time, and a little jitter."""
    return BackoffRetryIntervalCalculator(backoff_factor=options.backoff_seconds, jitter=ProportionalJitter())


def retry_handlers(options: SlackOptions) -> list[AsyncRetryHandler]:
    return [
        NotTwice(connection_failed, 2, backoff(options), options.api_url),
        RetryAfterHandler(options.rate_limit_retries, options.max_rate_limit_wait),
        NotTwice(server_failed, options.server_error_retries, backoff(options), options.api_url),
    ]


def web_client(
    options: SlackOptions, token: str | None = None, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token, base_url=options.api_url, retry_handlers=retry_handlers(options), session=session
    )


def delivery_error(exc: Exception, method: str) -> DeliveryError:
    """A platform-neutral error for a failed Slack call (never includes the token)."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 0) or 0
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        error = str(data.get("error") or "")
        if status == 429 or error == "ratelimited":
            retry_after = retry_after_seconds(getattr(response, "headers", {}), 1.0)
            return DeliveryError("rate_limited", retryable=True, retry_after=retry_after, detail=method)
        if status >= 500:
            return DeliveryError("server_error", retryable=True, detail=f"{method} HTTP {status}")
        code, retryable = ERROR_CODES.get(error, ("unknown", False))
        return DeliveryError(code, retryable=retryable, detail=f"{method} {error or status}")
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | SlackRequestError):
        return DeliveryError("server_error", retryable=True, detail=f"{method} {type(exc).__name__}")
    return DeliveryError("unknown", retryable=True, detail=f"{method} {type(exc).__name__}")
