"""When a campaign may call: the calling window, pacing and retry backoff.

Pure functions and small value objects with an injectable clock, so the rules can be tested
without waiting for real time to pass.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_RATE_PER_MIN = 30.0
DEFAULT_CONCURRENCY = 2
DEFAULT_WINDOW = "09:00-21:00"

_WINDOW_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class Clock:
    """Real time. Tests pass a subclass whose ``sleep`` moves time forward instead of waiting."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Sleep, waking early when ``wake`` is set (pause/cancel must not wait out a backoff)."""
        if seconds <= 0:
            return
        if wake is None:
            time.sleep(seconds)
        else:
            wake.wait(seconds)


@dataclass(frozen=True)
class CallingWindow:
    """Hours during which a recipient may be called, in the recipient's local time.

    ``start == end`` is never produced by ``parse``; ``always`` disables the window (``any``).
    A window may cross midnight (``22:00-06:00``).
    """

    start: dtime = dtime(9, 0)
    end: dtime = dtime(21, 0)
    always: bool = False

    @classmethod
    def parse(cls, text: str | None) -> CallingWindow:
        value = (text or DEFAULT_WINDOW).strip().lower()
        if value in {"any", "always", "off", "none"}:
            return cls(always=True)
        match = _WINDOW_RE.match(value)
        if not match:
            raise ValueError(f"Calling window {text!r} is not HH:MM-HH:MM or 'any'.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"Calling window {text!r} has an impossible time.")
        start, end = dtime(h1, m1), (dtime(23, 59, 59, 999999) if h2 == 24 else dtime(h2, m2))
        if start == end:
            raise ValueError("The calling window's start and end must differ.")
        return cls(start=start, end=end)

    def __str__(self) -> str:
        if self.always:
            return "any"
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def _open_at_local(self, local: dtime) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def is_open(self, zones: Iterable[str], now_utc: datetime) -> bool:
        """Open when it is inside the window in every one of the recipient's possible zones."""
        if self.always:
            return True
        return all(self._open_at_local(now_utc.astimezone(tz).time()) for tz in _zones(tuple(zones)))

    def next_open(self, zones: Iterable[str], now_utc: datetime, horizon_h: int = 48) -> datetime | None:
        """The first minute at or after ``now_utc`` when the window is open (None if never)."""
        if self.is_open(zones, now_utc):
            return now_utc
        zone_tuple = tuple(zones)
        probe = now_utc.replace(second=0, microsecond=0)
        for _ in range(horizon_h * 4):  # coarse 15-minute steps, then refine to the minute
            probe += timedelta(minutes=15)
            if self.is_open(zone_tuple, probe):
                back = probe
                while self.is_open(zone_tuple, back - timedelta(minutes=1)) and back > now_utc:
                    back -= timedelta(minutes=1)
                return back
        return None


def waiting_words(window: CallingWindow, zones: Iterable[str], now_utc: datetime, opening: datetime) -> str:
    """Why calls wait, in the recipients' own time: "Outside calling hours (09:00-21:00 their time)
    — now 03:10 IST; next calls at 09:00 IST, in 5 h 50 min."."""
    zone = _zones(tuple(zones))[0]
    now_there, opens_there = now_utc.astimezone(zone), opening.astimezone(zone)
    minutes = max(1, round((opening - now_utc).total_seconds() / 60))
    wait = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    day = "" if opens_there.date() == now_there.date() else " tomorrow"
    return (
        f"Outside calling hours ({window}, the recipients' time) — now {now_there:%H:%M %Z}; "
        f"next calls at {opens_there:%H:%M %Z}{day}, in {wait}."
    )


@lru_cache(maxsize=512)
def _zones(names: tuple[str, ...]) -> tuple:
    """Known zones for a number; a number without any falls back to this machine's local zone."""
    found = []
    for name in names:
        try:
            found.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    if not found:
        local = datetime.now().astimezone().tzinfo
        found.append(local if local is not None else timezone.utc)
    return tuple(found)


def time_zones_for(e164: str) -> tuple[str, ...]:
    """phonenumbers' time zones for an E.164 number, by longest prefix ('Etc/Unknown' dropped).

    The same table ``ParsedNumber.time_zones`` reads, looked up on the string directly so that
    100,000 journal rows need no second parse.
    """
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    digits = e164.lstrip("+")
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(digits)), 0, -1):
        zones = TIMEZONE_DATA.get(digits[:length])
        if zones is not None:
            return tuple(z for z in zones if z != "Etc/Unknown")
    return ()


class Pacer:
    """Spaces sends evenly at ``rate_per_min``; 0 or None turns pacing off.

    Thread-safe: each worker asks for a slot and waits until it comes.
    """

    def __init__(self, rate_per_min: float | None, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.interval = 60.0 / rate_per_min if rate_per_min else 0.0
        self._next = 0.0
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """Stop all sends for ``seconds`` (a 429's Retry-After applies to the whole account)."""
        with self._lock:
            self._hold_until = max(self._hold_until, self.clock.monotonic() + seconds)

    def reserve(self) -> float:
        """Claim the next slot; returns how long the caller must wait before sending."""
        with self._lock:
            now = self.clock.monotonic()
            slot = max(now, self._next, self._hold_until)
            self._next = slot + self.interval
            return slot - now


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter around the midpoint; Retry-After wins when larger."""

    base_s: float = 2.0
    cap_s: float = 300.0
    jitter: float = 0.5

    def delay(
        self, failures: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        raw = min(self.cap_s, self.base_s * (2 ** max(0, failures - 1)))
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        delay = raw * spread
        if retry_after is not None:
            delay = max(delay, float(retry_after))
        return delay


def zones_text_open(window: CallingWindow, zones_text: str, now_utc: datetime) -> bool:
    """``is_open`` for zones stored as 'Zone/A;Zone/B' (how the journal keeps them)."""
    if window.always:
        return True
    return _open_at_minute(window, zones_text, now_utc.replace(second=0, microsecond=0))


@lru_cache(maxsize=1024)
def _open_at_minute(window: CallingWindow, zones_text: str, minute: datetime) -> bool:
    return window.is_open(tuple(z for z in zones_text.split(";") if z), minute)
