#!/usr/bin/python3
"""Writes the hostile-payload corpus: payloads/<kind>/<case>.json and cases.tsv.

Every case names its source kind, the archive_payload overload it goes through (text: our
parser; jsonb: PostgreSQL's jsonb input first) and what must happen: the exact counters of a
successful call, or the SQLSTATE and a fragment of the message of a failed one, and whether
that failure is the call's own (it then leaves a 'failed' row in archive_runs) or PostgreSQL's
while reading the argument (invalid UTF-8, jsonb input: the call never starts).

Payloads too big to commit (300,000 records, a 300 MB string) are 'gen:<recipe>' rows,
built at test time by t/009_hostile_corpus.pl. The payload files are plain files: the libFuzzer
targets of test/fuzz take payloads/<kind>/ as seed corpora.

Run from anywhere: python3 test/corpus/generate.py (rewrites the files; commit the output).
"""
import json
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
cases = []  # (name, kind, overload, payload, expect, detail, logged)


def counters(inserted=0, updated=0, unchanged=0, skipped=0, rejected=0, collapsed=0):
    return ("ok", f"{inserted} {updated} {unchanged} {skipped} {rejected} {collapsed}")


def error(sqlstate, fragment):
    assert "\t" not in fragment and "\n" not in fragment
    return (sqlstate, fragment)


def add(name, kind, body, expect, overload="text", logged=None):
    """body: str or bytes (the file's exact content)."""
    assert not any(c[0] == name and c[1] == kind for c in cases), (kind, name)
    data = body.encode("utf-8") if isinstance(body, str) else body
    path = f"payloads/{kind}/{name}.json"
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(data)
    add_row(name, kind, "file:" + path, expect, overload, logged)


def add_row(name, kind, payload, expect, overload="text", logged=None):
    status, detail = expect
    if logged is None:
        # Errors PostgreSQL raises while reading the argument come before the call.
        logged = status != "22021" and not (overload == "jsonb" and status in ("22P02", "22P05", "54000", "54001"))
    cases.append((name, kind, overload, payload, status, detail, "yes" if logged else "no"))


def raw(obj, replacements):
    """JSON text of obj with "@RAWn@" string placeholders replaced by raw JSON text."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    for key, value in replacements.items():
        text = text.replace(json.dumps(key), value)
    return text


# ---------------------------------------------------------------- templates

def starlink_doc(line="CASE-S", day=None, cycle_extra=None, result_extra=None):
    d = {"date": "2025-10-02", "priorityGB": 3, "optInPriorityGB": 0, "standardGB": 2, "nonBillableGB": 0}
    if day is not None:
        d = day
    cycle = {"startDate": "2025-10-01", "endDate": "2025-10-31", "totalPriorityGB": 3, "totalStandardGB": 2,
             "totalOptInPriorityGB": 0, "totalNonBillableGB": 0, "dailyDataUsage": [d]}
    cycle.update(cycle_extra or {})
    result = {"serviceLineNumber": line, "accountNumber": "ACC-1",
              "servicePlan": {"usageLimitGB": 1024, "productId": "P1", "isOptedIntoOverage": False},
              "lastUpdated": "2025-10-05T12:00:00Z", "billingCycles": [cycle]}
    result.update(result_extra or {})
    return {"isValid": True, "errors": [], "content": {"pageIndex": 0, "limit": 50, "isLastPage": True,
                                                     "totalCount": 1, "results": [result]}}


def simple_doc(line="CASE-1", day=None):
    return {line: {"daily_usage": [day if day is not None else {"date": "2025-10-02", "usage_gb": 1.5}]}}


def simple_members(*members):
    """A simple payload with the given (member name as raw JSON text, date, usage_gb) in order:
    names may repeat, which no dict can express."""
    return "{" + ",".join(f'"{name}":{{"daily_usage":[{{"date":"{date}","usage_gb":{gb}}}]}}'
                          for name, date, gb in members) + "}"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


SHAPE_HINT = "unexpected JSON at byte"
WRONG = {  # a value of each JSON type, as raw text
    "null": "null", "true": "true", "number": "7", "string": '"x"', "object": '{"k":1}', "array": "[1]",
    "emptystr": '""',
}
FOUND = {"null": "found null", "true": "found a boolean", "number": "found a number", "string": "found a string",
         "object": "found an object", "array": "found an array", "emptystr": "found a string"}


# ---------------------------------------------------------------- baseline (the "earlier rows")

def baseline():
    s = {"isValid": True, "errors": [], "content": {"results": [
        {"serviceLineNumber": f"BASE-S{n}", "accountNumber": "ACC-B",
         "servicePlan": {"usageLimitGB": 500, "productId": "P-B", "isOptedIntoOverage": True},
         "lastUpdated": "2025-10-06T00:00:00Z",
         "billingCycles": [{"startDate": "2025-10-01", "endDate": "2025-10-31", "totalPriorityGB": 5 * n,
                            "totalStandardGB": 10, "dailyDataUsage": [
                                {"date": f"2025-10-0{d}", "priorityGB": n, "optInPriorityGB": 0, "standardGB": 2,
                                 "nonBillableGB": 0.5} for d in range(1, 6)]}]} for n in (1, 2, 3)]}}
    simple = {f"BASE-{n}": {"daily_usage": [{"date": f"2025-10-0{d}", "usage_gb": n + d / 10} for d in range(1, 6)]}
              for n in (1, 2, 3)}
    os.makedirs(os.path.join(HERE, "baseline"), exist_ok=True)
    for kind, doc in (("starlink", s), ("simple", simple)):
        with open(os.path.join(HERE, "baseline", kind + ".json"), "w") as f:
            f.write(dumps(doc))
    return s, simple


BASE_S, BASE_SIMPLE = baseline()


# ---------------------------------------------------------------- truncated JSON

def truncations():
    s = dumps(starlink_doc())
    # every 7th byte, and the last few: truncation can never leave a complete document here
    offsets = sorted(set(list(range(0, len(s), 7)) + list(range(len(s) - 4, len(s)))))
    for off in offsets:
        # the end of input counts as the character read there: a body of N bytes fails at byte N + 1
        add(f"truncated_at_{off:03d}", "starlink", s[:off], error("22P02", f"invalid JSON at byte {off + 1}: "))
    t = dumps(simple_doc())
    for off in range(0, len(t), 3):
        add(f"truncated_at_{off:02d}", "simple", t[:off], error("22P02", f"invalid JSON at byte {off + 1}: "))
    add("truncated_in_10kB_string", "simple", '{"CASE-1":{"daily_usage":[],"note":"' + "n" * 10240,
        error("22P02", "missing closing quote; last read: '\"nnnnnnn"))
    add("truncated_jsonb", "starlink", s[:100], error("22P02", "invalid input syntax for type json"), "jsonb")
    add("truncated_mid_escape", "simple", '{"CASE-1\\u00', error("22P02", "invalid JSON at byte"))
    add("truncated_mid_number", "simple", '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":1.',
        error("22P02", "invalid JSON at byte"))


# ---------------------------------------------------------------- every field with every wrong type

def wrong_types_starlink():
    def doc_with(setter):
        d = starlink_doc()
        setter(d, "@RAW@")
        return d

    res = lambda d: d["content"]["results"][0]
    cyc = lambda d: res(d)["billingCycles"][0]
    day = lambda d: cyc(d)["dailyDataUsage"][0]
    ok_one = counters(inserted=1)
    fields = [
        # (name, setter, correct types, outcome(type) -> expect)
        ("isValid", lambda d, v: d.__setitem__("isValid", v), {"true"},
         lambda t: error("22023", f"($.isValid): expected true or false, {FOUND[t]}")),
        ("errors", lambda d, v: d.__setitem__("errors", v), {"array", "null"},
         lambda t: error("22023", f"($.errors): expected an array, {FOUND[t]}")),
        ("content", lambda d, v: d.__setitem__("content", v), {"object"},
         lambda t: error("22023", "has \"content\": null although isValid is not false") if t == "null"
         else error("22023", f"($.content): expected an object, {FOUND[t]}")),
        ("results", lambda d, v: d["content"].__setitem__("results", v), {"array", "null"},
         lambda t: error("22023", f"($.content.results): expected an array of service lines, {FOUND[t]}")),
        ("result_item", lambda d, v: d["content"].__setitem__("results", [v]), {"object"},
         lambda t: error("22023", f"($.content.results[0]): expected an object (one service line), {FOUND[t]}")),
        ("serviceLineNumber", lambda d, v: res(d).__setitem__("serviceLineNumber", v), {"string"},
         lambda t: error("22023", f"($.content.results[0].serviceLineNumber): expected a "
                         + ("string, " if t in ("object", "array") else "non-empty string, ") + FOUND[t])),
        ("accountNumber", lambda d, v: res(d).__setitem__("accountNumber", v), {"string", "null", "emptystr"},
         lambda t: error("22023", f"($.content.results[0].accountNumber): expected a string or null, {FOUND[t]}")),
        ("servicePlan", lambda d, v: res(d).__setitem__("servicePlan", v), {"object", "null"},
         lambda t: error("22023", f"($.content.results[0].servicePlan): expected an object or null, {FOUND[t]}")),
        ("usageLimitGB", lambda d, v: res(d)["servicePlan"].__setitem__("usageLimitGB", v), set(), lambda t: ok_one),
        ("productId", lambda d, v: res(d)["servicePlan"].__setitem__("productId", v), set(), lambda t: ok_one),
        ("isOptedIntoOverage", lambda d, v: res(d)["servicePlan"].__setitem__("isOptedIntoOverage", v), set(),
         lambda t: ok_one),
        ("lastUpdated", lambda d, v: res(d).__setitem__("lastUpdated", v), set(), lambda t: ok_one),
        ("billingCycles", lambda d, v: res(d).__setitem__("billingCycles", v), {"array", "null"},
         lambda t: error("22023", f"($.content.results[0].billingCycles): expected an array of billing cycles or null, {FOUND[t]}")),
        ("cycle_item", lambda d, v: res(d).__setitem__("billingCycles", [v]), {"object"},
         lambda t: error("22023", f"($.content.results[0].billingCycles[0]): expected an object (one billing cycle), {FOUND[t]}")),
        ("startDate", lambda d, v: cyc(d).__setitem__("startDate", v), set(), lambda t: ok_one),
        ("endDate", lambda d, v: cyc(d).__setitem__("endDate", v), set(), lambda t: ok_one),
        ("totalPriorityGB", lambda d, v: cyc(d).__setitem__("totalPriorityGB", v), set(), lambda t: ok_one),
        ("totalNonBillableGB", lambda d, v: cyc(d).__setitem__("totalNonBillableGB", v), set(), lambda t: ok_one),
        ("dailyDataUsage", lambda d, v: cyc(d).__setitem__("dailyDataUsage", v), {"array", "null"},
         lambda t: error("22023", f"($.content.results[0].billingCycles[0].dailyDataUsage): expected an array of days or null, {FOUND[t]}")),
        ("day_item", lambda d, v: cyc(d).__setitem__("dailyDataUsage", [v]), {"object"},
         lambda t: error("22023", f"($.content.results[0].billingCycles[0].dailyDataUsage[0]): expected an object (one day), {FOUND[t]}")),
        ("date", lambda d, v: day(d).__setitem__("date", v), set(),
         lambda t: counters(rejected=1)),
        ("priorityGB", lambda d, v: day(d).__setitem__("priorityGB", v), {"number"},
         lambda t: counters(inserted=1) if t == "null" else counters(rejected=1)),
        ("optInPriorityGB", lambda d, v: day(d).__setitem__("optInPriorityGB", v), {"number"},
         lambda t: counters(inserted=1) if t == "null" else counters(rejected=1)),
        ("standardGB", lambda d, v: day(d).__setitem__("standardGB", v), {"number"},
         lambda t: counters(inserted=1) if t == "null" else counters(rejected=1)),
        ("nonBillableGB", lambda d, v: day(d).__setitem__("nonBillableGB", v), {"number"},
         lambda t: counters(inserted=1) if t == "null" else counters(rejected=1)),
        ("totalCount", lambda d, v: d["content"].__setitem__("totalCount", v), set(), lambda t: ok_one),
        ("isLastPage", lambda d, v: d["content"].__setitem__("isLastPage", v), set(), lambda t: ok_one),
    ]
    for name, setter, right, outcome in fields:
        for t, text in WRONG.items():
            if t in right or (t == "emptystr" and name not in ("serviceLineNumber", "accountNumber", "date")):
                continue
            expect = outcome(t)
            # zero records when the list itself is null or there is nothing to read
            if name in ("errors",) and t == "null":
                expect = ok_one
            if name in ("results", "billingCycles", "dailyDataUsage") and t == "null":
                expect = counters()
            if name == "date" and t == "emptystr":
                expect = counters(rejected=1)
            d = doc_with(setter)
            add(f"type_{name}_{t}", "starlink", raw(d, {"@RAW@": text}), expect)
    # A numeric string is not a number: the day is rejected, the others are archived.
    add("type_priorityGB_numeric_string", "starlink", dumps(starlink_doc(day={"date": "2025-10-02", "priorityGB": "3"})),
        counters(rejected=1))
    add("type_results_missing_line_number", "starlink",
        dumps({"isValid": True, "content": {"results": [{"billingCycles": []}]}}),
        error("22023", "expected a member \"serviceLineNumber\" in every service line"))
    add("type_isValid_false_with_content", "starlink",
        dumps({"isValid": False, "errors": [{"errorMessage": "Service line not found"}], "content": None}),
        error("38000", "the API reported an error (isValid: false): Service line not found"))
    add("type_isValid_false_no_messages", "starlink", dumps({"isValid": False, "errors": []}),
        error("38000", "(isValid: false): no error message given"))
    add("type_isValid_false_string_errors", "starlink", dumps({"isValid": False, "errors": ["a", "b"]}),
        error("38000", "(isValid: false): a; b"))


def wrong_types_simple():
    def doc(text_for_slot, slot):
        if slot == "root":
            return text_for_slot
        if slot == "line":
            return '{"CASE-1":' + text_for_slot + "}"
        if slot == "daily_usage":
            return '{"CASE-1":{"daily_usage":' + text_for_slot + "}}"
        if slot == "day":
            return '{"CASE-1":{"daily_usage":[' + text_for_slot + "]}}"
        if slot == "date":
            return '{"CASE-1":{"daily_usage":[{"date":' + text_for_slot + ',"usage_gb":1}]}}'
        if slot == "usage_gb":
            return '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":' + text_for_slot + "}]}}"
        raise ValueError(slot)

    slots = {
        "root": ({"object"}, lambda t: error("22023", f"($): expected an object of service lines, {FOUND[t]}")),
        "line": ({"object"}, lambda t: error("22023", f"($.CASE-1): expected an object with \"daily_usage\", {FOUND[t]}")),
        "daily_usage": ({"array"}, lambda t: counters() if t == "null"
                        else error("22023", f"($.CASE-1.daily_usage): expected an array of days, {FOUND[t]}")),
        "day": ({"object"}, lambda t: error("22023", f"($.CASE-1.daily_usage[0]): expected an object (one day), {FOUND[t]}")),
        "date": (set(), lambda t: counters(rejected=1)),
        "usage_gb": ({"number"}, lambda t: counters(rejected=1)),
    }
    for slot, (right, outcome) in slots.items():
        for t, text in WRONG.items():
            if t in right or (t == "emptystr" and slot not in ("date", "usage_gb")):
                continue
            add(f"type_{slot}_{t}", "simple", doc(text, slot), outcome(t))
    add("type_usage_gb_missing", "simple", '{"CASE-1":{"daily_usage":[{"date":"2025-10-02"}]}}', counters(rejected=1))
    add("type_date_missing", "simple", '{"CASE-1":{"daily_usage":[{"usage_gb":1}]}}', counters(rejected=1))
    add("type_line_name_empty", "simple", '{"":{"daily_usage":[]}}',
        error("22023", "expected a non-empty service line id as the member name"))
    add("type_usage_gb_numeric_string", "simple", doc('"1.5"', "usage_gb"), counters(rejected=1))
    add("type_usage_gb_nan_string", "simple", doc('"NaN"', "usage_gb"), counters(rejected=1))
    add("type_usage_gb_infinity_string", "simple", doc('"Infinity"', "usage_gb"), counters(rejected=1))


# ---------------------------------------------------------------- nesting 100,000 deep

def nesting():
    n = 100_000
    deep_arr = "[" * n + "]" * n
    deep_obj = '{"a":' * n + "1" + "}" * n
    add("deep_arrays_in_unknown_member", "starlink",
        '{"isValid":true,"content":{"results":[]},"extra":' + deep_arr + "}", counters())
    add("deep_objects_in_unknown_member", "simple",
        '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":1}],"extra":' + deep_obj + "}}", counters(inserted=1))
    add("deep_arrays_as_day_value", "starlink", raw(starlink_doc(day={"date": "2025-10-02", "priorityGB": "@RAW@"}),
                                                    {"@RAW@": deep_arr}), counters(rejected=1))
    add("deep_arrays_at_root", "simple", deep_arr,
        error("22023", "($): expected an object of service lines, found an array"))
    add("deep_arrays_unclosed", "starlink", '{"isValid":true,"x":' + "[" * n,
        error("22P02", f"invalid JSON at byte {n + 21}: "))
    add("deep_arrays_jsonb", "starlink", '{"isValid":true,"content":{"results":[]},"extra":' + deep_arr + "}",
        error("54001", "stack depth limit exceeded"), "jsonb")


# ---------------------------------------------------------------- numbers

def numbers():
    def s_day(text):
        return raw(starlink_doc(day={"date": "2025-10-02", "priorityGB": "@RAW@", "standardGB": 1}), {"@RAW@": text})

    def simple_day(text):
        return '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":' + text + "}]}}"

    out_of_range = lambda tok: error("22003", f"number out of range at byte")
    for name, text, expect in [
        ("num_1e400", "1e400", error("22003", "number out of range at byte 63: 1e400 is beyond the range of double precision")),
        ("num_minus_1e400", "-1e400", error("22003", "number out of range at byte 64: -1e400 is")),
        ("num_400_digits", "9" * 400, error("22003", "number out of range at byte 458: 9999999999999999999999999999999999999999... is")),
        ("num_1E999999999", "1E999999999", error("22003", "1E999999999")),
        ("num_minus_zero", "-0", counters(inserted=1)),
        ("num_minus_zero_float", "-0.0", counters(inserted=1)),
        ("num_1e_minus_400", "1e-400", counters(inserted=1)),
        ("num_minus_1e_minus_400", "-1e-400", counters(inserted=1)),
        ("num_denormal", "5e-324", counters(inserted=1)),
        ("num_30_digits", "123456789012345678901234567890", counters(rejected=1)),
        ("num_30_digit_fraction", "0.123456789012345678901234567890", counters(inserted=1)),
        ("num_20_digits", "18446744073709551616", counters(rejected=1)),
        ("num_uint64_max", "18446744073709551615", counters(rejected=1)),
        ("num_int64_min", "-9223372036854775808", counters(rejected=1)),
        ("num_exponent_form", "1E1", counters(inserted=1)),
        ("num_exponent_plus", "1e+2", counters(inserted=1)),
        ("num_max_daily", "10000", counters(inserted=1)),
        ("num_above_max_daily", "10000.0004", counters(rejected=1)),
        ("num_1e308", "1e308", counters(rejected=1)),
        ("num_negative", "-1", counters(rejected=1)),
        ("num_leading_zero", "01", error("22P02", "invalid JSON at byte")),
        ("num_leading_plus", "+1", error("22P02", "invalid JSON at byte")),
        ("num_leading_dot", ".5", error("22P02", "invalid JSON at byte")),
        ("num_trailing_dot", "1.", error("22P02", "invalid JSON at byte")),
        ("num_hex", "0x10", error("22P02", "invalid JSON at byte")),
        ("num_bare_nan", "NaN", error("22P02", "invalid JSON at byte")),
        ("num_bare_infinity", "Infinity", error("22P02", "invalid JSON at byte")),
        ("num_bare_minus_infinity", "-Infinity", error("22P02", "invalid JSON at byte")),
        ("num_exponent_without_digits", "1e", error("22P02", "invalid JSON at byte")),
    ]:
        add(name, "simple", simple_day(text), expect)
    for name, text, expect in [
        ("num_1e400", "1e400", error("22003", "number out of range at byte")),
        ("num_minus_zero", "-0", counters(inserted=1)),
        ("num_1e_minus_400", "1e-400", counters(inserted=1)),
        ("num_30_digits", "123456789012345678901234567890", counters(rejected=1)),
        ("num_rounds_to_zero", "0.0004", counters(inserted=1)),
    ]:
        add(name, "starlink", s_day(text), expect)
    # Out of range where the parser does not look: still no double can hold it.
    add("num_1e400_in_unknown_member", "starlink",
        raw(starlink_doc(result_extra={"extra": "@RAW@"}), {"@RAW@": "1e400"}), error("22003", "1e400"))
    add("num_1e400_as_usage_limit", "starlink", raw(starlink_doc(), {}).replace('"usageLimitGB":1024', '"usageLimitGB":1e400'),
        error("22003", "1e400"))
    # Cycle totals the API could never send: beyond what numeric(14,3) holds they are unknown.
    add("num_cycle_total_1e11", "starlink", dumps(starlink_doc(cycle_extra={"totalPriorityGB": 1e11})), counters(inserted=1))
    add("num_cycle_total_1e300", "starlink", dumps(starlink_doc(cycle_extra={"totalStandardGB": 1e300})), counters(inserted=1))
    add("num_usage_limit_1e300", "starlink",
        dumps(starlink_doc()).replace('"usageLimitGB":1024', '"usageLimitGB":1e300'), counters(inserted=1))
    add("num_paging_30_digits", "starlink",
        dumps(starlink_doc()).replace('"totalCount":1', '"totalCount":123456789012345678901234567890'), counters(inserted=1))
    # The jsonb overload: PostgreSQL keeps 1e400 exactly (numeric); our parser still needs a double.
    add("num_1e400_jsonb", "simple", simple_day("1e400"), error("22003", "number out of range at byte"), "jsonb")
    add("num_minus_zero_jsonb", "simple", simple_day("-0"), counters(inserted=1), "jsonb")


# ---------------------------------------------------------------- duplicate keys

def duplicates():
    add("dup_date_key_last_wins_base", "simple",
        '{"BASE-1":{"daily_usage":[{"date":"1999-01-01","date":"2025-10-01","usage_gb":1.1}]}}', counters(unchanged=1))
    add("dup_usage_gb_key", "simple",
        '{"BASE-1":{"daily_usage":[{"date":"2025-10-01","usage_gb":-5,"usage_gb":9.1}]}}', counters(updated=1))
    two_days = simple_members(("CASE-1", "2025-10-02", 1), ("CASE-1", "2025-10-03", 1))
    add("dup_line_member_text", "simple", two_days, counters(inserted=2))
    add("dup_line_member_jsonb", "simple", two_days, counters(inserted=1), "jsonb")  # jsonb keeps the last
    add("dup_line_same_day", "simple", simple_members(("CASE-1", "2025-10-02", 1), ("CASE-1", "2025-10-02", 2)),
        counters(inserted=1, collapsed=1))
    add("dup_daily_usage_key", "simple",
        '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":1}],"daily_usage":[{"date":"2025-10-03","usage_gb":1}]}}',
        counters(inserted=2))
    add("dup_same_day_in_array", "simple",
        '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":1},{"date":"2025-10-02","usage_gb":1},{"date":"2025-10-02T00:00:00Z","usage_gb":3}]}}',
        counters(inserted=1, collapsed=2))
    d = dumps(starlink_doc())
    add("dup_isValid_true_then_false", "starlink", d.replace('"isValid":true', '"isValid":true,"isValid":false'),
        error("38000", "isValid: false"))
    add("dup_isValid_false_then_true", "starlink", d.replace('"isValid":true', '"isValid":false,"isValid":true'),
        counters(inserted=1))
    add("dup_serviceLineNumber", "starlink",
        d.replace('"serviceLineNumber":"CASE-S"', '"serviceLineNumber":"BASE-S1","serviceLineNumber":"CASE-S"'),
        counters(inserted=1))
    add("dup_serviceLineNumber_base", "starlink",
        d.replace('"serviceLineNumber":"CASE-S"', '"serviceLineNumber":"CASE-S","serviceLineNumber":"BASE-S1"')
         .replace('"date":"2025-10-02","priorityGB":3,"optInPriorityGB":0,"standardGB":2,"nonBillableGB":0',
                  '"date":"2025-10-02","priorityGB":1,"optInPriorityGB":0,"standardGB":2,"nonBillableGB":0.5'),
        counters(unchanged=1))
    two_contents = ('{"isValid":true,"content":{"results":[{"serviceLineNumber":"CASE-A","billingCycles":[{"dailyDataUsage":'
                    '[{"date":"2025-10-02","standardGB":1}]}]}]},"content":{"results":[{"serviceLineNumber":"CASE-B",'
                    '"billingCycles":[{"dailyDataUsage":[{"date":"2025-10-02","standardGB":1}]}]}]}}')
    add("dup_content_text", "starlink", two_contents, counters(inserted=2))
    add("dup_content_jsonb", "starlink", two_contents, counters(inserted=1), "jsonb")
    add("dup_priority_key", "starlink",
        raw(starlink_doc(), {}).replace('"priorityGB":3', '"priorityGB":-1,"priorityGB":3'), counters(inserted=1))
    add("dup_results_key", "starlink", d.replace('"results":[', '"results":[],"results":['), counters(inserted=1))


# ---------------------------------------------------------------- invalid UTF-8, NUL, BOM

def encodings():
    good = dumps(simple_doc()).encode()
    for name, bad in [
        ("utf8_lone_continuation", b"\x80"), ("utf8_invalid_c3_28", b"\xc3\x28"), ("utf8_ff", b"\xff"),
        ("utf8_overlong_slash", b"\xc0\xaf"), ("utf8_overlong_nul", b"\xc0\x80"), ("utf8_surrogate_d800", b"\xed\xa0\x80"),
        ("utf8_above_10ffff", b"\xf4\x90\x80\x80"), ("utf8_five_byte", b"\xf8\x88\x80\x80\x80"),
        ("utf8_truncated_sequence", b"\xe2\x82"),
    ]:
        add(name + "_in_line_id", "simple", good.replace(b"CASE-1", b"CASE-" + bad), error("22021", "invalid byte sequence for encoding \"UTF8\""))
    add("utf8_truncated_at_end", "starlink", dumps(starlink_doc()).encode()[:-1] + b"\xe2\x82",
        error("22021", "invalid byte sequence for encoding \"UTF8\""))
    add("utf8_in_date", "starlink", dumps(starlink_doc()).encode().replace(b"2025-10-02", b"2025-10-\xff2"),
        error("22021", "invalid byte sequence"))
    add("utf16le_with_bom", "simple", b"\xff\xfe" + good.decode().encode("utf-16-le"),
        error("22021", "invalid byte sequence"))
    add("utf8_invalid_jsonb", "simple", good.replace(b"CASE-1", b"CASE-\xff"), error("22021", "invalid byte sequence"), "jsonb")
    add("raw_nul_byte", "simple", good.replace(b"CASE-1", b"CASE-\x00"), error("22021", "0x00"))
    # Escapes
    add("escape_nul_in_line_id", "simple", good.replace(b"CASE-1", b"CASE-\\u0000X"),
        error("22023", "($.CASE-\\u0000X): expected a service line id without \\u0000"))
    add("escape_nul_in_serviceLineNumber", "starlink",
        dumps(starlink_doc(line="CASE-@")).replace("@", "\\u0000"),
        error("22023", "($.content.results[0].serviceLineNumber): expected a service line id without \\u0000"))
    add("escape_nul_in_accountNumber", "starlink",
        dumps(starlink_doc()).replace('"ACC-1"', '"ACC\\u0000"'),
        error("22023", "($.content.results[0].accountNumber): expected a string without \\u0000"))
    add("escape_nul_in_productId", "starlink",
        dumps(starlink_doc()).replace('"P1"', '"P\\u0000"'),
        error("22023", "($.content.results[0].servicePlan.productId): expected a string without \\u0000"))
    add("escape_nul_in_date", "simple", '{"CASE-1":{"daily_usage":[{"date":"2025-10-02\\u0000","usage_gb":1}]}}',
        counters(rejected=1))
    add("escape_nul_in_unknown_member", "simple",
        '{"CASE-1":{"daily_usage":[{"date":"2025-10-02","usage_gb":1,"note":"a\\u0000b"}],"\\u0000":"\\u0000"}}',
        counters(inserted=1))
    add("escape_nul_in_error_message", "starlink",
        '{"isValid":false,"errors":[{"errorMessage":"before\\u0000after"}]}', error("38000", "(isValid: false): before\\u0000after"))
    add("escape_nul_jsonb", "simple", good.decode().replace("CASE-1", "CASE-\\u0000"),
        error("22P05", "unsupported Unicode escape sequence"), "jsonb")
    add("escape_lone_high_surrogate", "simple", good.decode().replace("CASE-1", "CASE-\\ud800"),
        error("22P02", "surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF"))
    add("escape_lone_low_surrogate", "simple", good.decode().replace("CASE-1", "CASE-\\udc00"),
        error("22P02", "surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF"))
    add("escape_surrogate_pair", "simple", good.decode().replace("CASE-1", "CASE-\\ud83d\\ude00"), counters(inserted=1))
    add("escape_bad_hex", "simple", good.decode().replace("CASE-1", "CASE-\\u12G4"), error("22P02", "invalid JSON at byte"))
    add("escape_unknown", "simple", good.decode().replace("CASE-1", "CASE-\\x41"), error("22P02", "invalid JSON at byte"))
    add("raw_control_char_in_string", "simple", good.decode().replace("CASE-1", "CASE-\t1"),
        error("22P02", "control character U+0009 (HT) must be escaped"))
    # BOMs
    bom = "\ufeff"
    add("bom_utf8_text", "simple", bom + good.decode(), counters(inserted=1))
    add("bom_utf8_starlink", "starlink", bom + dumps(starlink_doc()), counters(inserted=1))
    add("bom_utf8_jsonb", "simple", bom + good.decode(), error("22P02", "invalid input syntax for type json"), "jsonb")
    add("bom_twice", "simple", bom + bom + good.decode(), error("22P02", "invalid literal; last read: '\ufeff\\xef'"))
    add("bom_after_whitespace", "simple", " " + bom + good.decode(), error("22P02", "invalid JSON at byte 2: "))
    add("bom_inside_line_id", "simple", good.decode().replace("CASE-1", bom + "CASE-1"), counters(inserted=1))


# ---------------------------------------------------------------- dates

def dates():
    for name, date, ok in [
        ("date_1999_12_31", "1999-12-31", False), ("date_2000_01_01", "2000-01-01", True),
        ("date_2199_12_31", "2199-12-31", True), ("date_2200_01_01", "2200-01-01", False),
        ("date_0000_01_01", "0000-01-01", False), ("date_9999_12_31", "9999-12-31", False),
        ("date_1970_01_01", "1970-01-01", False), ("date_feb29_2025", "2025-02-29", False),
        ("date_feb29_2024", "2024-02-29", True), ("date_feb29_2100", "2100-02-29", False),
        ("date_month_13", "2025-13-01", False), ("date_month_00", "2025-00-10", False),
        ("date_day_32", "2025-10-32", False), ("date_day_00", "2025-10-00", False),
        ("date_apr31", "2025-04-31", False), ("date_one_digit_day", "2025-10-1", False),
        ("date_two_digit_year", "25-10-01", False), ("date_slashes", "2025/10/01", False),
        ("date_us_format", "10/01/2025", False), ("date_compact", "20251001", False),
        ("date_iso_week", "2025-W40-3", False), ("date_ordinal", "2025-274", False),
        ("date_rfc2822", "Wed, 01 Oct 2025 00:00:00 GMT", False), ("date_empty", "", False),
        ("date_with_time_z", "2025-10-01T00:00:00Z", True), ("date_with_offset", "2025-10-01T23:59:59+05:30", True),
        ("date_with_fraction", "2025-10-01T00:00:00.123456Z", True), ("date_leap_second", "2025-10-01T23:59:60Z", True),
        ("date_hour_24", "2025-10-01T24:00:00Z", False), ("date_space_time", "2025-10-01 00:00:00", False),
        ("date_trailing_z", "2025-10-01Z", False), ("date_leading_space", " 2025-10-01", False),
        ("date_trailing_space", "2025-10-01 ", False), ("date_plus_year", "+2025-10-01", False),
        ("date_negative_year", "-2025-10-01", False), ("date_fullwidth_digits", "\uff12\uff10\uff12\uff15-10-01", False),
        ("date_lowercase_t", "2025-10-01t00:00:00z", False), ("date_offset_no_colon", "2025-10-01T00:00:00+0530", False),
        ("date_sql_fragment", "2025-10-01'); DROP TABLE usage_archive.daily_usage_history; --", False),
        ("date_epoch_string", "1759276800", False),
    ]:
        add(name, "simple", dumps(simple_doc(day={"date": date, "usage_gb": 1})),
            counters(inserted=1) if ok else counters(rejected=1))
    add("date_multibyte_at_cut", "simple",
        dumps(simple_doc(day={"date": "2025-10-01" + "x" * 29 + "\u00e9\u00e9", "usage_gb": 1})), counters(rejected=1))
    add("date_10kB", "simple", dumps(simple_doc(day={"date": "2025-10-01" + "\u0000" * 10000, "usage_gb": 1})),
        counters(rejected=1))
    add("date_epoch_number", "simple", '{"CASE-1":{"daily_usage":[{"date":1759276800,"usage_gb":1}]}}', counters(rejected=1))
    add("date_out_of_range_starlink", "starlink",
        dumps(starlink_doc(day={"date": "2200-01-01", "priorityGB": 1})), counters(rejected=1))
    # Cycle dates out of range or inverted: the cycle is not recorded, its days are.
    add("date_cycle_start_out_of_range", "starlink", dumps(starlink_doc(cycle_extra={"startDate": "1900-01-01"})),
        counters(inserted=1))
    add("date_cycle_inverted", "starlink",
        dumps(starlink_doc(cycle_extra={"startDate": "2025-10-31", "endDate": "2025-10-01"})), counters(inserted=1))
    # A day outside its cycle (found by fuzzing from this corpus) is archived all the same.
    add("date_day_outside_its_cycle", "starlink", dumps(starlink_doc(day={"date": "2026-10-02", "standardGB": 1})),
        counters(inserted=1))
    add("date_last_updated_garbage", "starlink", dumps(starlink_doc(result_extra={"lastUpdated": "yesterday"})),
        counters(inserted=1))
    # Many bad days: every one counted.
    days = [{"date": f"2025-13-{d:02d}", "usage_gb": 1} for d in range(1, 31)]
    add("date_thirty_invalid", "simple", dumps({"CASE-1": {"daily_usage": days}}), counters(rejected=30))


# ---------------------------------------------------------------- empty things, not JSON

def empties():
    for kind in ("starlink", "simple"):
        add(f"empty_payload", kind, "", error("22P02", "invalid JSON at byte 1: "))
        add(f"whitespace_only", kind, " \n\t\r ", error("22P02", "invalid JSON at byte"))
        add(f"empty_array", kind, "[]", error("22023", "found an array"))
        add(f"json_null", kind, "null", error("22023", "found null"))
        add(f"json_string", kind, '"hello"', error("22023", "found a string"))
        add(f"json_number", kind, "42", error("22023", "found a number"))
        add(f"html_error_page", kind, "<html><body>502 Bad Gateway</body></html>", error("22P02", "invalid JSON at byte 1"))
        add(f"single_quotes", kind, "{'a': 1}", error("22P02", "invalid JSON at byte"))
        valid = '{"isValid":true,"content":{"results":[]}' if kind == "starlink" else '{"CASE-1":{"daily_usage":[]}'
        add(f"trailing_comma", kind, valid + ",}", error("22P02", "invalid JSON at byte"))
        add(f"comment", kind, valid + "} // note", error("22P02", "invalid JSON at byte"))
        add(f"two_documents", kind, "{}{}", error("22P02", "invalid JSON at byte"))
    add("empty_object", "simple", "{}", counters())
    add("empty_object_jsonb", "simple", "{}", counters(), "jsonb")
    add("empty_object", "starlink", "{}", error("22023", "has no \"content\" member although isValid is not false"))
    add("empty_content", "starlink", '{"isValid":true,"content":{}}', counters())
    add("empty_results", "starlink", '{"isValid":true,"content":{"results":[]}}', counters())
    add("empty_result_object", "starlink", '{"isValid":true,"content":{"results":[{}]}}',
        error("22023", "expected a member \"serviceLineNumber\" in every service line"))
    add("empty_billing_cycles", "starlink", '{"isValid":true,"content":{"results":[{"serviceLineNumber":"CASE-S","billingCycles":[]}]}}',
        counters())
    add("empty_cycle_object", "starlink", '{"isValid":true,"content":{"results":[{"serviceLineNumber":"CASE-S","billingCycles":[{}]}]}}',
        counters())
    add("empty_daily_usage", "starlink", dumps(starlink_doc()).replace(
        '"dailyDataUsage":[{"date":"2025-10-02","priorityGB":3,"optInPriorityGB":0,"standardGB":2,"nonBillableGB":0}]',
        '"dailyDataUsage":[]'), counters())
    add("empty_day_object", "starlink", dumps(starlink_doc(day={})), counters(rejected=1))
    add("empty_line_object", "simple", '{"CASE-1":{}}', counters())
    add("empty_daily_usage", "simple", '{"CASE-1":{"daily_usage":[]}}', counters())
    add("empty_day_object", "simple", '{"CASE-1":{"daily_usage":[{}]}}', counters(rejected=1))
    add("empty_key_in_day", "simple", '{"CASE-1":{"daily_usage":[{"":1,"date":"2025-10-02","usage_gb":1}]}}', counters(inserted=1))
    add("empty_content_null_invalid", "starlink", '{"isValid":false,"content":null,"errors":[]}',
        error("38000", "no error message given"))
    add("baseline_again", "starlink", dumps(BASE_S), counters(unchanged=15))
    add("baseline_again", "simple", dumps(BASE_SIMPLE), counters(unchanged=15))
    add("baseline_again_jsonb", "simple", dumps(BASE_SIMPLE), counters(unchanged=15), "jsonb")


# ---------------------------------------------------------------- service line identifiers

def identifiers():
    rnd = random.Random(12)
    hostile = [
        ("quote_single", "O'Brien"), ("quote_double", 'say "hi"'), ("backslash", "back\\slash"),
        ("backslash_n", "\\N"), ("sql_drop", "'; DROP TABLE usage_archive.daily_usage_history; --"),
        ("sql_bobby", "Robert'); DROP TABLE students;--"), ("sql_dollar", "$$; SELECT pg_sleep(10); $$"),
        ("sql_comment", "/* */ -- "), ("array_literal", '{"a","b"}'), ("array_literal_null", "NULL"),
        ("record_literal", "(1,2)"), ("percent_format", "%s%n%d"), ("tab_escape", "A\tB"), ("newline_escape", "A\nB"),
        ("crlf", "A\r\nB"), ("comma_brace", "a,b}{"), ("copy_delimiter", "a|b\\.\n"), ("emoji", "line-\U0001F6F0"),
        ("rtl", "\u202eRTL-1"), ("zero_width", "CASE\u200b-1"), ("combining", "e\u0301"), ("only_space", " "),
        ("unicode_escape_quotes", "\u0027\u0022"),
    ]
    for name, ident in hostile:
        add(f"id_{name}", "simple", dumps(simple_doc(line=ident)), counters(inserted=1))
        add(f"id_{name}", "starlink", dumps(starlink_doc(line=ident)), counters(inserted=1))
    add("id_sql_drop_jsonb", "simple", dumps(simple_doc(line="'; DROP TABLE usage_archive.service_lines; --")),
        counters(inserted=1), "jsonb")
    # Length: an identifier is at most 1,024 bytes (the unique index on it has a size limit).
    add("id_1024_bytes", "simple", dumps(simple_doc(line="L" * 1024)), counters(inserted=1))
    add("id_1024_bytes_multibyte", "starlink", dumps(starlink_doc(line="\u00e9" * 512)), counters(inserted=1))
    add("id_1025_bytes", "simple", dumps(simple_doc(line="L" * 1025)),
        error("22023", "expected a service line id of at most 1024 bytes, found 1025 bytes"))
    rand10k = "".join(rnd.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10240))
    add("id_10kB_random", "simple", dumps(simple_doc(line=rand10k)),
        error("22023", "expected a service line id of at most 1024 bytes, found 10240 bytes"))
    add("id_10kB_random", "starlink", dumps(starlink_doc(line=rand10k)),
        error("22023", "($.content.results[0].serviceLineNumber): expected a service line id of at most 1024 bytes"))
    add("id_10kB_repeated", "starlink", dumps(starlink_doc(line="Q" * 10240)),
        error("22023", "found 10240 bytes"))
    add("id_10kB_quotes", "simple", dumps(simple_doc(line="'\"\\" * 3414)), error("22023", "found 10242 bytes"))
    add("id_10kB_jsonb", "simple", dumps(simple_doc(line=rand10k)), error("22023", "found 10240 bytes"), "jsonb")
    # Two spellings of one identifier are two lines; the same escaped and raw is one.
    add("id_escaped_equals_raw", "simple", simple_members(("CASE-\\u0041", "2025-10-02", 1), ("CASE-A", "2025-10-02", 2)),
        counters(inserted=1, collapsed=1))
    add("id_case_differs", "simple", simple_members(("case-a", "2025-10-02", 1), ("CASE-A", "2025-10-02", 2)),
        counters(inserted=2))


# ---------------------------------------------------------------- huge payloads (built at test time)

def generated():
    add_row("gen_300k_records", "simple", "gen:tiny_records_300k", counters(inserted=300_000))
    add_row("gen_300k_same_key", "simple", "gen:same_key_300k", counters(inserted=1, collapsed=299_999))
    add_row("gen_300k_rejected", "starlink", "gen:rejected_300k", counters(rejected=300_000))
    add_row("gen_300MB_string_unknown_member", "simple", "gen:string_300mb_member", counters(inserted=1))
    add_row("gen_300MB_string_line_id", "starlink", "gen:string_300mb_line_id",
            error("22023", "expected a service line id of at most 1024 bytes, found 300000000 bytes"))
    add_row("gen_300MB_string_jsonb", "simple", "gen:string_300mb_member",
            error("54000", "string too long to represent as jsonb string"), "jsonb")


def main():
    for kind in ("starlink", "simple"):
        d = os.path.join(HERE, "payloads", kind)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    truncations()
    wrong_types_starlink()
    wrong_types_simple()
    nesting()
    numbers()
    duplicates()
    encodings()
    dates()
    empties()
    identifiers()
    generated()
    with open(os.path.join(HERE, "cases.tsv"), "w") as f:
        f.write("# name\tkind\toverload\tpayload\texpect\tdetail\tlogged\n")
        f.write("# expect: ok (detail: inserted updated unchanged skipped rejected collapsed) or a SQLSTATE\n")
        f.write("# (detail: a fragment of the message); logged: the call leaves a 'failed' archive_runs row\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
