#!/usr/bin/python3
"""Deterministic model of a Starlink enterprise fleet and the payloads it produces.

Everything here is a pure function of (lines, seed, today, cycle_days, revision), so the mock
server, the test suites and the benchmarks can all recompute the exact values the archive
should hold without talking to each other.

Shapes imitated (see context/starlink-v2-data-usage-api.md):
  * V2 data-usage query envelope (`Fleet.query_results`);
  * V2 service-lines list envelope (`Fleet.service_lines_page`);
  * the flattened "simple" shape (`Fleet.simple_payload`);
  * both of those already serialised (`Fleet.query_results_json`, `Fleet.simple_payload_json`),
    byte-identical to json.dumps(..., separators=(",", ":")) of the dicts but much faster
    once a line's settled days are cached (the mock server's hot path);
  * a single-page V2 envelope of arbitrary size, streamed to a file
    (`write_starlink_payload`) for archive_payload() benchmarks.

Volumes are modelled as integer hundredths of a GB ("centi-GB") and only turned into floats
when serialised: cycle totals are then exact sums of the daily values, which is what the
vendor promises ("doubles rounded to 2 decimals").

CLI:
  python3 starlink_data.py payload --lines 5000 --days 200 [--corrected-fraction 0.01]
                                   [--seed 1] [--today YYYY-MM-DD] --out FILE
  python3 starlink_data.py simple  --lines N --days D [--seed 1] [--today YYYY-MM-DD]
                                   [--revision R] --out FILE
  (--out - writes to stdout; a JSON summary always goes to stderr.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import uuid
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple, TextIO

# Fixed default "today" so that every run of every test sees the same calendar.
DEFAULT_TODAY = dt.date(2025, 11, 15)
DEFAULT_CYCLE_DAYS = 30
SERVICE_LINES_PAGE_SIZE = 100
LINES_PER_ACCOUNT = 10
ZERO_DAY_PROBABILITY = 1 / 15
# Billing-cycle anchors are offsets from this date; each line gets its own offset, so cycles
# start on different days per line and never follow calendar months.
_ANCHOR_EPOCH = dt.date(2024, 1, 1)
# (productId, usageLimitGB) of the plans a line can be on.
_PLANS = (
    ("SL-MOBILE-PRIORITY-50GB", 50.0),
    ("SL-LOCAL-PRIORITY-1TB", 1024.0),
    ("SL-LOCAL-PRIORITY-2TB", 2048.0),
    ("SL-GLOBAL-PRIORITY-5TB", 5000.0),
)
# How much of the final value today (age 0) and yesterday (age 1) are still missing at
# revision 0; revision r leaves shortfall / (1 + r) missing, so values grow towards the final
# value with every revision but today's and yesterday's never quite settle.
_PARTIAL_SHORTFALL = (0.6, 0.2)
# Days at least this old have settled: their value is the same at every revision.
_SETTLED_AGE = len(_PARTIAL_SHORTFALL)
# Bound on Fleet's cache of per-line serialised settled days (entries per line; one entry per
# distinct previousBillingCycles or /simple `days` value asked for): cleared when exceeded.
_TEMPLATES_PER_LINE = 16
# Stands in for lastUpdated while a result header is serialised once per line.
_LAST_UPDATED_PLACEHOLDER = "@@lastUpdated@@"
# "Re-run with N% corrected" benchmarks bump standardGB of the chosen records by 1.5 GB,
# far above the archive's default 0.01 GB tolerance.
CORRECTION_CENTI_GB = 150


def service_line_number(index: int) -> str:
    return f"AST-{100000 + index:06d}-{(index * 7919) % 100000:05d}-{index % 100:02d}"


def account_number(index: int) -> str:
    account = index // LINES_PER_ACCOUNT
    return f"ACC-{200000 + account:06d}-{(account * 7907) % 100000:05d}-{account % 100:02d}"


def iso_datetime(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def gb(centi: int) -> float:
    """Centi-GB to the 2-decimal double the API sends (c/100 is the nearest double)."""
    return centi / 100


def envelope(content, *, is_valid: bool = True, errors=(), warnings=(), information=()):
    return {
        "isValid": is_valid,
        "errors": list(errors),
        "warnings": list(warnings),
        "information": list(information),
        "content": content,
    }


def error_envelope(message: str, member_names=()) -> dict:
    """The V2 failure shape: isValid false, one error, no content."""
    return envelope(
        None,
        is_valid=False,
        errors=[{"memberNames": list(member_names), "errorMessage": message}],
    )


class Usage(NamedTuple):
    """One day of one line, in centi-GB. opt_in is a subset of priority."""

    priority: int
    opt_in: int
    standard: int
    non_billable: int

    def is_zero(self) -> bool:
        return not (self.priority or self.opt_in or self.standard or self.non_billable)

    def record(self, day: dt.date) -> dict:
        return {
            "date": iso_datetime(day),
            "priorityGB": gb(self.priority),
            "optInPriorityGB": gb(self.opt_in),
            "standardGB": gb(self.standard),
            "nonBillableGB": gb(self.non_billable),
        }


def _draw_usage(rng: random.Random, daily_mean_centi: int) -> Usage:
    """One non-zero day around the line's mean; shared by the model and the stream writer."""
    total = max(1, int(daily_mean_centi * (0.2 + 1.6 * rng.random())))
    priority = int(total * 0.4 * rng.random())
    opt_in = int(priority * rng.random())
    # standard >= 0.01 GB keeps a recorded day distinguishable from an omitted (zero) day.
    standard = max(1, total - priority)
    non_billable = int(60 * rng.random()) if rng.random() < 0.25 else 0
    return Usage(priority, opt_in, standard, non_billable)


def _cycle_totals(usages) -> dict:
    usages = list(usages)
    return {
        "totalPriorityGB": gb(sum(u.priority for u in usages)),
        "totalStandardGB": gb(sum(u.standard for u in usages)),
        "totalOptInPriorityGB": gb(sum(u.opt_in for u in usages)),
        "totalNonBillableGB": gb(sum(u.non_billable for u in usages)),
    }


def _record_json(date: str, u: Usage) -> str:
    """Usage.record() serialised as json.dumps(separators=(",", ":")) would (a float's
    str() is its repr(), which is also what json writes)."""
    return (
        f'{{"date":"{date}","priorityGB":{u.priority / 100},"optInPriorityGB":{u.opt_in / 100},'
        f'"standardGB":{u.standard / 100},"nonBillableGB":{u.non_billable / 100}}}'
    )


def _cycle_tail(priority: int, standard: int, opt_in: int, non_billable: int) -> str:
    """Closes a serialised cycle after its dailyDataUsage records (see _cycle_totals)."""
    return (
        f'],"overageLines":[],"dataPoolUsage":[],"totalPriorityGB":{priority / 100},'
        f'"totalStandardGB":{standard / 100},"totalOptInPriorityGB":{opt_in / 100},'
        f'"totalNonBillableGB":{non_billable / 100}}}'
    )


def _simple_record_json(date: str, u: Usage) -> str:
    return f'{{"date":"{date}","usage_gb":{(u.priority + u.standard) / 100}}}'


@dataclass(frozen=True)
class ServiceLine:
    index: int
    number: str
    account: str
    nickname: str
    address_reference_id: str
    active_from: dt.date
    cycle_anchor: dt.date  # first day of one billing cycle; the others are +/- k * cycle_days
    product_id: str
    usage_limit_gb: float
    opted_into_overage: bool
    mobile: bool
    public_ip: bool
    daily_mean_centi: int


class Fleet:
    """A deterministic fleet of `lines` service lines as seen on `today`."""

    def __init__(
        self,
        lines: int,
        seed: int = 1,
        today: dt.date = DEFAULT_TODAY,
        cycle_days: int = DEFAULT_CYCLE_DAYS,
    ):
        if lines < 0 or cycle_days < 1:
            raise ValueError("lines must be >= 0 and cycle_days >= 1")
        self.seed = seed
        self.today = today
        self.cycle_days = cycle_days
        # Every k-th line (k > 0) was deactivated in the middle of its current billing cycle:
        # no usage after that day, and left out of a query for active lines only.
        self.inactive_every = 0
        self.lines = [self._make_line(i) for i in range(lines)]
        # (kind, line index, previous cycles | days) -> the line's serialised settled days
        # and the final values of its still-partial ones; filled lazily by the *_json
        # renderers. Entries are deterministic, so racing threads may both fill one.
        self._templates: dict = {}

    def _make_line(self, index: int) -> ServiceLine:
        # String seeds are hashed with SHA-512 by random.Random: stable across processes and
        # independent of PYTHONHASHSEED.
        rng = random.Random(f"{self.seed}:line:{index}")
        product_id, limit_gb = rng.choice(_PLANS)
        return ServiceLine(
            index=index,
            number=service_line_number(index),
            account=account_number(index),
            nickname=f"Terminal {index:05d}",
            address_reference_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            # At least 200 days of history, so a few previous cycles are always complete.
            active_from=self.today - dt.timedelta(days=rng.randint(200, 900)),
            cycle_anchor=_ANCHOR_EPOCH + dt.timedelta(days=rng.randrange(self.cycle_days)),
            product_id=product_id,
            usage_limit_gb=limit_gb,
            opted_into_overage=rng.random() < 0.3,
            mobile=product_id.startswith("SL-MOBILE"),
            public_ip=rng.random() < 0.2,
            daily_mean_centi=int(limit_gb * 100 / 30 * (0.1 + 0.8 * rng.random())),
        )

    def set_inactive_every(self, every: int) -> None:
        if every != self.inactive_every:
            self.inactive_every = every
            self._templates.clear()

    def is_active(self, line: ServiceLine) -> bool:
        return not (self.inactive_every > 0 and line.index % self.inactive_every == self.inactive_every - 1)

    def deactivated_on(self, line: ServiceLine) -> dt.date | None:
        """The last day of an inactive line: halfway through its current cycle so far."""
        if self.is_active(line):
            return None
        start = self.cycle_start(line, self.today)
        return start + (self.today - start) // 2

    # ---- daily values -------------------------------------------------------------------

    def final_usage(self, line: ServiceLine, day: dt.date) -> Usage | None:
        """The settled value of a day, or None when the day has no usage (and is omitted)."""
        last = self.deactivated_on(line)
        if last is not None and day > last:
            return None
        if day < line.active_from or day > self.today:
            return None
        rng = random.Random(f"{self.seed}:{line.index}:{day.toordinal()}")
        if rng.random() < ZERO_DAY_PROBABILITY:
            return None
        return _draw_usage(rng, line.daily_mean_centi)

    def usage(self, line: ServiceLine, day: dt.date, revision: int = 0) -> Usage | None:
        """The value the API reports at `revision`: today and yesterday are still partial."""
        return self._at_revision(self.final_usage(line, day), (self.today - day).days, revision)

    @staticmethod
    def _at_revision(final: Usage | None, age: int, revision: int) -> Usage | None:
        """A day's final value as reported at `revision` when the day is `age` days old."""
        if final is None or age >= _SETTLED_AGE:
            return final
        complete = 1 - _PARTIAL_SHORTFALL[age] / (1 + revision)
        # Flooring each part keeps opt_in <= priority.
        partial = Usage(*(int(part * complete) for part in final))
        return None if partial.is_zero() else partial

    # ---- billing cycles -----------------------------------------------------------------

    def cycle_start(self, line: ServiceLine, day: dt.date) -> dt.date:
        """First day of the line's billing cycle that contains `day`."""
        return day - dt.timedelta(days=(day - line.cycle_anchor).days % self.cycle_days)

    def _cycle_spans(self, line: ServiceLine, previous: int):
        """(start, end, days up to today) of the cycles billing_cycles reports."""
        current = self.cycle_start(line, self.today)
        for back in range(previous, -1, -1):
            start = current - dt.timedelta(days=back * self.cycle_days)
            end = start + dt.timedelta(days=self.cycle_days - 1)
            if end < line.active_from:
                continue
            last = min(end, self.today)
            yield start, end, [start + dt.timedelta(days=k) for k in range((last - start).days + 1)]

    def billing_cycles(self, line: ServiceLine, previous: int, revision: int = 0) -> list:
        """The current cycle plus `previous` earlier ones, oldest first; cycles that ended
        before the line was activated are not reported."""
        cycles = []
        for start, end, span in self._cycle_spans(line, previous):
            days = []
            for day in span:
                value = self.usage(line, day, revision)
                if value is not None:
                    days.append((day, value))
            cycles.append(
                {
                    "startDate": iso_datetime(start),
                    "endDate": iso_datetime(end),  # the cycle's last day, inclusive
                    "dailyDataUsage": [value.record(day) for day, value in days],
                    "overageLines": [],
                    "dataPoolUsage": [],
                    **_cycle_totals(value for _, value in days),
                }
            )
        return cycles

    # ---- payloads -----------------------------------------------------------------------

    def _result_header(self, line: ServiceLine, start: str, end: str, revision: int) -> dict:
        """A data-usage result without its billingCycles (shared with the stream writer)."""
        return {
            "accountNumber": line.account,
            "serviceLineNumber": line.number,
            "startDate": start,
            "endDate": end,
            "lastUpdated": self._last_updated(revision),
            "servicePlan": {
                "productId": line.product_id,
                "usageLimitGB": line.usage_limit_gb,
                "isOptedIntoOverage": line.opted_into_overage,
                "isMobilePlan": line.mobile,
                "activeFrom": iso_datetime(line.active_from),
            },
        }

    def _last_updated(self, revision: int) -> str:
        stamp = dt.datetime.combine(self.today, dt.time(6)) + dt.timedelta(minutes=revision)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _selected(self, service_line_numbers, active_only: bool = False) -> list:
        lines = self.lines
        if service_line_numbers:  # None or []: every line
            wanted = set(service_line_numbers)
            lines = [line for line in lines if line.number in wanted]
        if active_only:
            lines = [line for line in lines if self.is_active(line)]
        return lines

    def cycles_since(self, line: ServiceLine, start: dt.date) -> int:
        """previousBillingCycles equivalent of queryStartDate `start` for a line: the cycles
        before the current one back to the one holding `start`."""
        current = self.cycle_start(line, self.today)
        return max(0, (current - self.cycle_start(line, start)).days // self.cycle_days)

    def query_results(
        self,
        page: int,
        limit: int,
        previous_billing_cycles: int,
        service_line_numbers=None,
        revision: int = 0,
        active_only: bool = False,
        start_date: dt.date | None = None,
    ) -> dict:
        """One page of POST /public/v2/data-usage/query. Unknown line numbers are ignored;
        result startDate/endDate span the returned cycles."""
        if page < 0 or limit < 1 or previous_billing_cycles < 0:
            raise ValueError("page >= 0, limit >= 1 and previous_billing_cycles >= 0 required")
        selected = self._selected(service_line_numbers, active_only)
        results = []
        for line in selected[page * limit : (page + 1) * limit]:
            previous = previous_billing_cycles if start_date is None else self.cycles_since(line, start_date)
            cycles = self.billing_cycles(line, previous, revision)
            result = self._result_header(
                line, cycles[0]["startDate"], cycles[-1]["endDate"], revision
            )
            result["billingCycles"] = cycles
            results.append(result)
        return envelope(
            {
                "pageIndex": page,
                "limit": limit,
                "isLastPage": (page + 1) * limit >= len(selected),
                "totalCount": len(selected),
                "results": results,
            }
        )

    def simple_payload(self, days: int, revision: int = 0) -> dict:
        """The story's flattened shape over the last `days` days (today included);
        usage_gb = priority + standard, zero days omitted as in the V2 model."""
        first = self.today - dt.timedelta(days=days - 1)
        payload = {}
        for line in self.lines:
            usage = []
            for offset in range(days):
                day = first + dt.timedelta(days=offset)
                value = self.usage(line, day, revision)
                if value is not None:
                    usage.append(
                        {"date": day.isoformat(), "usage_gb": gb(value.priority + value.standard)}
                    )
            payload[line.number] = {"daily_usage": usage}
        return payload

    # ---- the same payloads, serialised fast ---------------------------------------------
    #
    # Only today's and yesterday's values change between revisions. The first request for a
    # line serialises everything else once (settled days, their partial cycle sums, header)
    # and keeps the final values of the partial days; later revisions only recompute those
    # two days, their cycles' totals and lastUpdated. The output is byte-identical to
    # json.dumps(<dict method>(...), separators=(",", ":")).encode() (see the tests).

    def _template(self, key: tuple, build):
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= _TEMPLATES_PER_LINE * max(1, len(self.lines)):
                self._templates.clear()
            template = self._templates[key] = build()
        return template

    def _settled_and_recent(self, line: ServiceLine, days, stamp, record_json):
        """Serialised settled days, their sums and (stamp(day), final, age) of the partial
        ones."""
        settled, sums, recent = [], [0, 0, 0, 0], []
        for day in days:
            final = self.final_usage(line, day)
            if final is None:
                continue  # no usage at any revision
            age = (self.today - day).days
            if age < _SETTLED_AGE:
                recent.append((stamp(day), final, age))
            else:
                settled.append(record_json(stamp(day), final))
                sums[0] += final.priority
                sums[1] += final.standard
                sums[2] += final.opt_in
                sums[3] += final.non_billable
        return ",".join(settled), tuple(sums), tuple(recent)

    def _result_template(self, line: ServiceLine, previous: int) -> tuple:
        """(text before lastUpdated's value, text after it up to billingCycles' "[", cycles):
        each cycle is either its final JSON or (opening incl. settled records, has settled
        records, settled sums, partial days)."""
        spans = list(self._cycle_spans(line, previous))
        header = self._result_header(line, iso_datetime(spans[0][0]), iso_datetime(spans[-1][1]), 0)
        header["lastUpdated"] = _LAST_UPDATED_PLACEHOLDER
        before, after = json.dumps(header, separators=(",", ":")).split(_LAST_UPDATED_PLACEHOLDER)
        cycles = []
        for start, end, span in spans:
            settled, sums, recent = self._settled_and_recent(line, span, iso_datetime, _record_json)
            opening = (
                f'{{"startDate":"{iso_datetime(start)}","endDate":"{iso_datetime(end)}",'
                f'"dailyDataUsage":[{settled}'
            )
            if recent:
                cycles.append((opening, bool(settled), sums, recent))
            else:
                cycles.append(opening + _cycle_tail(*sums))
        return before, after[:-1] + ',"billingCycles":[', tuple(cycles)

    def _render_result(self, template: tuple, last_updated: str, revision: int) -> str:
        before, after, cycles = template
        parts = [before, last_updated, after]
        for i, cycle in enumerate(cycles):
            if i:
                parts.append(",")
            if isinstance(cycle, str):
                parts.append(cycle)
                continue
            opening, separate, (priority, standard, opt_in, non_billable), recent = cycle
            parts.append(opening)
            for stamp, final, age in recent:
                value = self._at_revision(final, age, revision)
                if value is None:
                    continue
                if separate:
                    parts.append(",")
                separate = True
                parts.append(_record_json(stamp, value))
                priority += value.priority
                standard += value.standard
                opt_in += value.opt_in
                non_billable += value.non_billable
            parts.append(_cycle_tail(priority, standard, opt_in, non_billable))
        parts.append("]}")
        return "".join(parts)

    def query_results_json(
        self,
        page: int,
        limit: int,
        previous_billing_cycles: int,
        service_line_numbers=None,
        revision: int = 0,
        active_only: bool = False,
        start_date: dt.date | None = None,
    ) -> bytes:
        """query_results() serialised compactly (UTF-8), without building the dicts. With
        `start_date` (queryStartDate) each line's cycles reach back to the one holding it."""
        if page < 0 or limit < 1 or previous_billing_cycles < 0:
            raise ValueError("page >= 0, limit >= 1 and previous_billing_cycles >= 0 required")
        selected = self._selected(service_line_numbers, active_only)
        last_updated = self._last_updated(revision)

        def previous_of(line):
            return previous_billing_cycles if start_date is None else self.cycles_since(line, start_date)

        results = ",".join(
            self._render_result(
                self._template(
                    ("v2", line.index, previous_of(line)),
                    lambda line=line: self._result_template(line, previous_of(line)),
                ),
                last_updated,
                revision,
            )
            for line in selected[page * limit : (page + 1) * limit]
        )
        is_last = "true" if (page + 1) * limit >= len(selected) else "false"
        return (
            '{"isValid":true,"errors":[],"warnings":[],"information":[],"content":'
            f'{{"pageIndex":{page},"limit":{limit},"isLastPage":{is_last},'
            f'"totalCount":{len(selected)},"results":[{results}]}}}}'
        ).encode()

    def _simple_template(self, line: ServiceLine, days: int) -> tuple:
        first = self.today - dt.timedelta(days=days - 1)
        settled, _, recent = self._settled_and_recent(
            line, (first + dt.timedelta(days=k) for k in range(days)), dt.date.isoformat,
            _simple_record_json,
        )
        return f'{json.dumps(line.number)}:{{"daily_usage":[{settled}', bool(settled), recent

    def simple_payload_json(self, days: int, revision: int = 0) -> bytes:
        """simple_payload() serialised compactly (UTF-8), without building the dicts."""
        parts = []
        for line in self.lines:
            opening, separate, recent = self._template(
                ("simple", line.index, days), lambda line=line: self._simple_template(line, days)
            )
            parts.append(opening)
            for stamp, final, age in recent:
                value = self._at_revision(final, age, revision)
                if value is not None:
                    parts.append(("," if separate else "") + _simple_record_json(stamp, value))
                    separate = True
            parts.append("]}")
            parts.append(",")
        if parts:
            parts.pop()  # the last separator
        return ("{" + "".join(parts) + "}").encode()

    def service_lines_page(self, page: int) -> dict:
        """One page of GET /public/v2/service-lines (fixed page size 100)."""
        if page < 0:
            raise ValueError("page must be >= 0")
        size = SERVICE_LINES_PAGE_SIZE
        chunk = self.lines[page * size : (page + 1) * size]
        return envelope(
            {
                "pageIndex": page,
                "limit": size,
                "isLastPage": (page + 1) * size >= len(self.lines),
                "totalCount": len(self.lines),
                "results": [
                    {
                        "serviceLineNumber": line.number,
                        "nickname": line.nickname,
                        "addressReferenceId": line.address_reference_id,
                        "productReferenceId": line.product_id,
                        "startDate": iso_datetime(line.active_from),
                        "endDate": iso_datetime(self.deactivated_on(line)) if not self.is_active(line) else None,
                        "active": self.is_active(line),
                        "publicIp": line.public_ip,
                    }
                    for line in chunk
                ],
            }
        )


def write_starlink_payload(
    fp: TextIO,
    lines: int,
    days_per_line: int,
    seed: int = 1,
    corrected_fraction: float = 0.0,
    today: dt.date = DEFAULT_TODAY,
) -> dict:
    """Stream one single-page V2 envelope with exactly lines * days_per_line day records.

    Every line reports the same `days_per_line` days ending on `today`, none omitted, split
    into consecutive 30-day cycles from the oldest day (the newest cycle may be shorter).
    Each result is serialised and written on its own, so memory stays flat whatever the size.

    `corrected_fraction` (a decimal such as 0.01) adds CORRECTION_CENTI_GB to standardGB of
    exactly floor(records * fraction) records, spread evenly; all other values are identical
    to the run without corrections, so a re-run reports precisely that many updates.

    Values come from one RNG stream per line (not the per-day model of `Fleet`): it is several
    times faster, and this mode only needs to be deterministic, not consistent with the server.

    Returns {"records": n, "corrected": k}.
    """
    if lines < 0 or days_per_line < 1:
        raise ValueError("lines must be >= 0 and days_per_line >= 1")
    # Exact rational so that the corrected count is floor(records * fraction) with no float
    # drift; str() turns 0.01 into 1/100 rather than the binary approximation.
    fraction = Fraction(str(corrected_fraction))
    if not 0 <= fraction <= 1:
        raise ValueError("corrected_fraction must be within [0, 1]")
    num, den = fraction.numerator, fraction.denominator

    fleet = Fleet(lines, seed, today)
    first = today - dt.timedelta(days=days_per_line - 1)
    day_keys = [
        f'"date":"{iso_datetime(first + dt.timedelta(days=d))}"' for d in range(days_per_line)
    ]
    cycle_bounds = [
        (lo, min(lo + DEFAULT_CYCLE_DAYS, days_per_line))
        for lo in range(0, days_per_line, DEFAULT_CYCLE_DAYS)
    ]
    # Cycle endDate is the cycle's last day, as in Fleet; the newest cycle still runs a full
    # 30 days even though its later days are in the future.
    cycle_dates = [
        (iso_datetime(first + dt.timedelta(days=lo)),
         iso_datetime(first + dt.timedelta(days=lo + DEFAULT_CYCLE_DAYS - 1)))
        for lo, _ in cycle_bounds
    ]

    fp.write(
        '{"isValid":true,"errors":[],"warnings":[],"information":[],"content":'
        f'{{"pageIndex":0,"limit":{lines},"isLastPage":true,"totalCount":{lines},"results":['
    )
    record = corrected = 0
    for line in fleet.lines:
        rng = random.Random(f"{seed}:stream:{line.index}")
        cycles = []
        for (lo, hi), (start, end) in zip(cycle_bounds, cycle_dates):
            days = []
            totals = [0, 0, 0, 0]
            for d in range(lo, hi):
                p, o, s, n = _draw_usage(rng, line.daily_mean_centi)
                # Record r is corrected when floor((r+1)*f) steps past floor(r*f).
                if ((record + 1) * num) // den > (record * num) // den:
                    s += CORRECTION_CENTI_GB
                    corrected += 1
                record += 1
                totals[0] += p
                totals[1] += s
                totals[2] += o
                totals[3] += n
                days.append(
                    f'{{{day_keys[d]},"priorityGB":{p / 100},"optInPriorityGB":{o / 100},'
                    f'"standardGB":{s / 100},"nonBillableGB":{n / 100}}}'
                )
            cycles.append(
                f'{{"startDate":"{start}","endDate":"{end}","dailyDataUsage":[{",".join(days)}],'
                f'"overageLines":[],"dataPoolUsage":[],"totalPriorityGB":{totals[0] / 100},'
                f'"totalStandardGB":{totals[1] / 100},"totalOptInPriorityGB":{totals[2] / 100},'
                f'"totalNonBillableGB":{totals[3] / 100}}}'
            )
        header = json.dumps(
            fleet._result_header(line, cycle_dates[0][0], cycle_dates[-1][1], 0),
            separators=(",", ":"),
        )
        if line.index:
            fp.write(",")
        # Splice the cycles into the header object in place of its closing brace.
        fp.write(f'{header[:-1]},"billingCycles":[{",".join(cycles)}]}}')
    fp.write("]}}")
    return {"records": record, "corrected": corrected}


def _parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--lines", type=int, required=True)
        p.add_argument("--days", type=int, required=True)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--today", type=dt.date.fromisoformat, default=DEFAULT_TODAY)
        p.add_argument("--out", required=True, help="output file, '-' for stdout")

    payload = sub.add_parser("payload", help="single-page V2 envelope, lines x days records")
    common(payload)
    payload.add_argument("--corrected-fraction", type=float, default=0.0)
    simple = sub.add_parser("simple", help="the flattened simple shape")
    common(simple)
    simple.add_argument("--revision", type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = _parse_args(argv)
    if args.out == "-":
        out = sys.stdout
    else:
        out = open(args.out, "w", encoding="utf-8", buffering=1 << 20)
    try:
        if args.command == "payload":
            summary = write_starlink_payload(
                out, args.lines, args.days, args.seed, args.corrected_fraction, args.today
            )
        else:
            fleet = Fleet(args.lines, args.seed, args.today)
            payload = fleet.simple_payload(args.days, args.revision)
            json.dump(payload, out, separators=(",", ":"))
            summary = {"records": sum(len(v["daily_usage"]) for v in payload.values())}
    finally:
        if out is not sys.stdout:
            out.close()
    if out is not sys.stdout:
        summary["bytes"] = os.path.getsize(args.out)
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
