"""A small client for InfluxDB's v1 HTTP API: ``/ping``, ``/write`` and ``/query``.

InfluxDB 1.x serves this API natively; 2.x and 3.x serve it as their v1-compatibility API,
authenticated with a token. Errors are classified so callers can act on them:

    InfluxError
    ├── WriteRejected    4xx on write other than 413/429: the data is bad, retrying is useless
    ├── WriteTooLarge    413: split the batch and try again
    ├── Unavailable      network error, timeout, 429 or 5xx: retry later (``retry_after``)
    └── QueryFailed      the database refused a query (bad statement, missing database)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from curbside.config.settings import Settings


class InfluxError(Exception):
    """Anything that went wrong talking to InfluxDB."""


class WriteRejected(InfluxError):
    """The database refused the points themselves (HTTP 4xx other than 413 and 429)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"write rejected ({status}): {message}")
        self.status = status


class WriteTooLarge(InfluxError):
    """The request body was too large (HTTP 413)."""


class Unavailable(InfluxError):
    """The database could not be reached or asked us to back off; worth retrying."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryFailed(InfluxError):
    """A query was answered with an error."""


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a query result: its tags, column names and rows."""

    name: str
    tags: dict[str, str] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The rows as dictionaries keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.values]


class InfluxClient:
    """Talks to one database. Thread-safe (httpx.Client is); close() when done."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Token {token}"} if token else {}
        auth = httpx.BasicAuth(username, password or "") if username else None
        self.database = database
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=timeout_s,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> InfluxClient:
        """A client for the database and credentials the settings name."""
        return cls(
            settings.influx.url,
            settings.influx.db,
            username=settings.influx.username,
            password=_secret(settings.influx.password),
            token=_secret(settings.influx.token),
            timeout_s=settings.influx.timeout_s,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def ping(self) -> bool:
        """Whether the server answers at all (no credentials needed)."""
        try:
            return self._http.get("/ping").status_code == 204
        except httpx.HTTPError:
            return False

    def ensure_database(self) -> None:
        """Create the database if it does not exist (a no-op when it does)."""
        self._post_query(f'CREATE DATABASE "{self.database}"')

    def write(self, lines: Sequence[str], *, retention_policy: str | None = None) -> None:
        """Write line-protocol lines with millisecond timestamps into the database's default
        retention policy, or the one named; raises a classified error."""
        if not lines:
            return
        body = "\n".join(lines).encode()
        params = {"db": self.database, "precision": "ms"}
        if retention_policy is not None:
            params["rp"] = retention_policy
        try:
            response = self._http.post("/write", params=params, content=body)
        except httpx.HTTPError as exc:
            raise Unavailable(f"write failed: {type(exc).__name__}: {exc}") from exc
        _raise_for_write(response)

    def query(self, statement: str) -> list[Series]:
        """Run one InfluxQL statement; the series of its result (times in epoch ms)."""
        results = self._post_query(statement)
        return results[0] if results else []

    def query_many(self, statements: Sequence[str]) -> list[list[Series]]:
        """Run several statements in one request; one list of series per statement."""
        return self._post_query(";".join(statements))

    def _post_query(self, statement: str) -> list[list[Series]]:
        try:
            response = self._http.post(
                "/query", data={"db": self.database, "q": statement, "epoch": "ms"}
            )
        except httpx.HTTPError as exc:
            raise Unavailable(f"query failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise Unavailable(f"query failed ({response.status_code}): {_error_text(response)}")
        if response.status_code != 200:
            raise QueryFailed(f"query failed ({response.status_code}): {_error_text(response)}")
        # orjson: the API's live-state refresh decodes megabytes every few seconds, and the
        # standard library's decoder holds the GIL twice as long (docs/performance.md).
        return _parse_results(orjson.loads(response.content))


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(payload, dict) and "error" in payload:
        return str(payload["error"])[:300]
    return response.text[:300]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _raise_for_write(response: httpx.Response) -> None:
    status = response.status_code
    if status in {200, 204}:
        return
    if status == 413:
        raise WriteTooLarge(f"write too large: {_error_text(response)}")
    if status == 429 or status >= 500:
        raise Unavailable(
            f"write failed ({status}): {_error_text(response)}", _retry_after(response)
        )
    raise WriteRejected(status, _error_text(response))


def _parse_results(payload: Any) -> list[list[Series]]:
    if not isinstance(payload, dict):
        raise QueryFailed("unexpected query response")
    if "error" in payload:
        raise QueryFailed(str(payload["error"]))
    parsed: list[list[Series]] = []
    for result in payload.get("results", []):
        if "error" in result:
            raise QueryFailed(str(result["error"]))
        parsed.append(
            [
                Series(
                    name=s.get("name", ""),
                    tags=s.get("tags") or {},
                    columns=s.get("columns", []),
                    values=s.get("values", []),
                )
                for s in result.get("series", [])
            ]
        )
    return parsed
