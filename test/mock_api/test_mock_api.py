"""Tests of the Starlink mock API and its data model.

Run: cd test/mock_api && /usr/bin/python3 -m unittest -v test_mock_api
One server process is shared by the suite (reset before each test); a second one is started
only to check SIGINT handling.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.client
import io
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib
from urllib.parse import urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hostile  # noqa: E402
import starlink_data as sd  # noqa: E402

LINES = 20
TODAY = sd.DEFAULT_TODAY
QUERY = "/api/public/v2/data-usage/query"


def compact(obj) -> bytes:
    """The server's serialisation of a payload dict."""
    return json.dumps(obj, separators=(",", ":")).encode()


def start_server(tmpdir: str, *extra: str):
    """Start server.py on a free port; return (process, port, log path)."""
    port_file = os.path.join(tmpdir, "port")
    log = os.path.join(tmpdir, "requests.log")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "server.py"), "--port", "0",
         "--port-file", port_file, "--lines", str(LINES), "--log", log, *extra],
        stdout=subprocess.PIPE, text=True,
    )
    # "PORT <n>" on stdout and the port file must agree.
    line = proc.stdout.readline().split()
    deadline = time.monotonic() + 10
    while not os.path.exists(port_file):
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("mock server did not write its port file")
        time.sleep(0.02)
    with open(port_file) as f:
        port = int(f.read())
    assert line == ["PORT", str(port)], line
    return proc, port, log


def stop_server(proc) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=5)
    finally:
        proc.stdout.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class MockApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.proc, cls.port, cls.log = start_server(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        code = stop_server(cls.proc)
        cls.tmp.cleanup()
        assert code == 0, f"server exited with {code} on SIGTERM"

    def setUp(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self.post_json("/_reset", {})
        self._token = None

    def tearDown(self):
        self.conn.close()

    # ---- helpers ------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, conn=None) -> Response:
        conn = conn or self.conn
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())

    def post_json(self, path, obj, headers=None, conn=None) -> Response:
        return self.request("POST", path, json.dumps(obj).encode(),
                            {"Content-Type": "application/json", **(headers or {})}, conn)

    def control(self, **faults):
        r = self.post_json("/_control", faults)
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def stats(self):
        return self.request("GET", "/_stats").json()

    def get_token(self):
        form = urlencode({"grant_type": "client_credentials", "client_id": "test-client",
                          "client_secret": "test-secret"})
        r = self.request("POST", "/api/auth/connect/token", form,
                         {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r.body)
        return r.json()["access_token"]

    def token(self):
        if self._token is None:
            self._token = self.get_token()
        return self._token

    def query(self, page=0, limit=None, body=None, token=None, conn=None, **params) -> Response:
        params = {"page": page, **({"limit": limit} if limit else {}), **params}
        return self.post_json(f"{QUERY}?{urlencode(params)}", body or {},
                              {"Authorization": f"Bearer {token or self.token()}"}, conn)

    def query_ok(self, **kw) -> dict:
        r = self.query(**kw)
        self.assertEqual(r.status, 200, r.body[:300])
        envelope = r.json()
        self.assertTrue(envelope["isValid"])
        return envelope["content"]

    def assertErrorEnvelope(self, r, status, message):
        self.assertEqual(r.status, status)
        envelope = r.json()
        self.assertFalse(envelope["isValid"])
        self.assertIsNone(envelope["content"])
        self.assertEqual(envelope["errors"][0]["errorMessage"], message)
        self.assertIsInstance(envelope["errors"][0]["memberNames"], list)

    @staticmethod
    def day_values(content) -> dict:
        """(line, date) -> day record, over every cycle of every result."""
        out = {}
        for result in content["results"]:
            for cycle in result["billingCycles"]:
                for day in cycle["dailyDataUsage"]:
                    out[(result["serviceLineNumber"], day["date"])] = day
        return out

    # ---- auth ---------------------------------------------------------------------------

    def test_token_form_and_basic_auth(self):
        self.assertEqual(len(self.get_token()), 40)
        basic = base64.b64encode(b"test-client:test-secret").decode()
        r = self.request("POST", "/api/auth/connect/token", "grant_type=client_credentials",
                         {"Authorization": f"Basic {basic}"})
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual((body["token_type"], body["expires_in"]), ("Bearer", 900))
        self.assertIn("scope", body)
        wrong = base64.b64encode(b"test-client:nope").decode()
        r = self.request("POST", "/api/auth/connect/token", "grant_type=client_credentials",
                         {"Authorization": f"Basic {wrong}"})
        self.assertEqual((r.status, r.json()), (401, {"error": "invalid_client"}))
        r = self.request("POST", "/api/auth/connect/token",
                         "grant_type=password&client_id=test-client&client_secret=test-secret")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.stats()["tokens_issued"], 2)

    def test_missing_or_bad_token_is_401_envelope(self):
        r = self.post_json(QUERY, {})
        self.assertErrorEnvelope(r, 401, "Unauthorized")
        r = self.query(token="not-a-token")
        self.assertErrorEnvelope(r, 401, "Unauthorized")
        r = self.request("GET", "/api/public/v2/service-lines")
        self.assertErrorEnvelope(r, 401, "Unauthorized")

    def test_token_expires_after_ttl(self):
        self.control(token_ttl=1)
        token = self.get_token()
        self.query_ok(token=token)
        time.sleep(1.1)
        self.assertErrorEnvelope(self.query(token=token), 401, "Unauthorized")

    def test_expire_tokens_now_then_reauth(self):
        token = self.token()
        self.query_ok(token=token)
        self.control(expire_tokens_now=True)
        self.assertEqual(self.query(token=token).status, 401)
        self.query_ok(token=self.get_token())

    def test_token_status_fault(self):
        self.control(token_status=503, retry_after=3)
        form = "grant_type=client_credentials&client_id=test-client&client_secret=test-secret"
        r = self.request("POST", "/api/auth/connect/token", form)
        self.assertEqual((r.status, r.headers["Retry-After"]), (503, "3"))
        self.assertEqual(r.json(), {"error": "server_error"})

    def test_token_echo_fault(self):
        self.control(token_echo=True)
        form = "grant_type=client_credentials&client_id=test-client&client_secret=test-secret"
        r = self.request("POST", "/api/auth/connect/token", form)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.body, b"could not handle this request: " + form.encode())

    def test_data_usage_times(self):
        before = time.time()
        self.query_ok()
        self.query_ok(page=1)
        times = self.stats()["data_usage_times"]
        self.assertEqual(len(times), 2)
        self.assertTrue(all(before - 1 <= t <= time.time() + 1 for t in times))

    def test_echo_authorization_fault(self):
        token = self.token()
        self.control(echo_authorization=True)
        r = self.query(token=token)
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["errors"][0]["errorMessage"],
                         "Unexpected credentials: Authorization: Bearer " + token)

    # ---- paging and content -------------------------------------------------------------

    def test_paging_covers_every_line_once(self):
        seen = []
        pages = []
        page = 0
        while True:
            content = self.query_ok(page=page, limit=7)
            pages.append(content)
            self.assertEqual((content["pageIndex"], content["limit"]), (page, 7))
            seen += [r["serviceLineNumber"] for r in content["results"]]
            if content["isLastPage"]:
                break
            page += 1
        self.assertEqual([p["totalCount"] for p in pages], [LINES] * 3)
        self.assertEqual([p["isLastPage"] for p in pages], [False, False, True])
        self.assertEqual(sorted(seen), sorted(sd.service_line_number(i) for i in range(LINES)))
        self.assertEqual(len(seen), len(set(seen)))
        beyond = self.query_ok(page=3, limit=7)
        self.assertEqual((beyond["results"], beyond["isLastPage"]), ([], True))

    def test_limit_default_max_and_validation(self):
        content = self.query_ok()
        self.assertEqual((content["limit"], len(content["results"]), content["isLastPage"]),
                         (50, LINES, True))
        self.assertEqual(self.query_ok(limit=250)["limit"], 250)
        r = self.query(limit=251)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["errors"][0]["memberNames"], ["limit"])
        self.assertEqual(self.query(body={"previousBillingCycles": -1}).status, 400)

    def test_service_line_filter(self):
        wanted = [sd.service_line_number(3), sd.service_line_number(11), "AST-UNKNOWN"]
        content = self.query_ok(body={"serviceLineNumbers": wanted})
        self.assertEqual(content["totalCount"], 2)
        self.assertEqual([r["serviceLineNumber"] for r in content["results"]], wanted[:2])

    def test_null_service_line_numbers_is_422(self):
        # A strict validator: [] (or no member) is "all lines", null is refused.
        self.assertEqual(self.query_ok(body={"serviceLineNumbers": []})["totalCount"], LINES)
        self.assertErrorEnvelope(self.query(body={"serviceLineNumbers": None}), 422,
                                 "'serviceLineNumbers' must be an array of strings; null is not allowed")

    def test_inactive_lines_and_active_service_lines_only(self):
        self.control(inactive_every=5, freeze_revision=True)
        inactive = {sd.service_line_number(i) for i in range(LINES) if i % 5 == 4}
        everything = self.query_ok(body={"serviceLineNumbers": [], "activeServiceLinesOnly": False})
        self.assertEqual(everything["totalCount"], LINES)
        by_default = self.query_ok(body={"serviceLineNumbers": []})
        self.assertEqual(by_default["totalCount"], LINES - len(inactive), "the API's default: active lines only")
        self.assertFalse(inactive & {r["serviceLineNumber"] for r in by_default["results"]})
        # An inactive line has usage up to the middle of its current cycle, none after.
        fleet = sd.Fleet(LINES, today=TODAY)
        fleet.set_inactive_every(5)
        for result in everything["results"]:
            if result["serviceLineNumber"] not in inactive:
                continue
            line = fleet.lines[int(result["serviceLineNumber"].split("-")[-1])]
            last = fleet.deactivated_on(line)
            days = [d["date"][:10] for c in result["billingCycles"] for d in c["dailyDataUsage"]]
            self.assertTrue(days and max(days) <= last.isoformat(), (days[-3:], last))
            self.assertGreaterEqual(last, fleet.cycle_start(line, TODAY))
        lines = self.request("GET", "/api/public/v2/service-lines?page=0",
                             headers={"Authorization": f"Bearer {self.token()}"}).json()["content"]["results"]
        self.assertEqual({l["serviceLineNumber"] for l in lines if not l["active"]}, inactive)

    def test_query_start_date_reaches_back_to_its_cycle(self):
        self.control(freeze_revision=True)
        start = TODAY - dt.timedelta(days=365)
        content = self.query_ok(body={"serviceLineNumbers": [], "queryStartDate": f"{start.isoformat()}T00:00:00Z",
                                      "activeServiceLinesOnly": False})
        for result in content["results"]:
            first = dt.date.fromisoformat(result["billingCycles"][0]["startDate"][:10])
            activated = dt.date.fromisoformat(result["servicePlan"]["activeFrom"][:10])
            # The cycle holding `start`, unless the line was activated later.
            self.assertTrue(first <= start < first + dt.timedelta(days=30) or first + dt.timedelta(days=30) > activated,
                            (first, start, activated))
        future = f"{(TODAY + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
        self.assertErrorEnvelope(self.query(body={"queryStartDate": future}), 422, "'queryStartDate' is in the future")

    def test_result_shape_and_totals(self):
        content = self.query_ok(body={"previousBillingCycles": 2})
        for result in content["results"]:
            self.assertTrue(result["accountNumber"].startswith("ACC-"))
            self.assertIn(result["servicePlan"]["usageLimitGB"], (50.0, 1024.0, 2048.0, 5000.0))
            self.assertEqual(set(result["servicePlan"]),
                             {"productId", "usageLimitGB", "isOptedIntoOverage",
                              "isMobilePlan", "activeFrom"})
            cycles = result["billingCycles"]
            self.assertEqual(result["startDate"], cycles[0]["startDate"])
            self.assertEqual(result["endDate"], cycles[-1]["endDate"])
            for cycle in cycles:
                self.assertEqual((cycle["overageLines"], cycle["dataPoolUsage"]), ([], []))
                days = cycle["dailyDataUsage"]
                for key, total in (("priorityGB", "totalPriorityGB"),
                                   ("standardGB", "totalStandardGB"),
                                   ("optInPriorityGB", "totalOptInPriorityGB"),
                                   ("nonBillableGB", "totalNonBillableGB")):
                    self.assertAlmostEqual(sum(d[key] for d in days), cycle[total], places=6)
                    self.assertEqual(round(cycle[total], 2), cycle[total])
                for d in days:
                    self.assertLessEqual(d["optInPriorityGB"], d["priorityGB"])
                    self.assertTrue(d["date"].endswith("T00:00:00Z"))

    def test_cycles_overlap_across_previous_billing_cycles(self):
        self.control(freeze_revision=True, revision=1)
        by_previous = {n: self.query_ok(body={"previousBillingCycles": n}) for n in (0, 1, 3)}
        today = f"{TODAY.isoformat()}T00:00:00Z"
        starts = set()
        for n, content in by_previous.items():
            for result in content["results"]:
                cycles = result["billingCycles"]
                self.assertEqual(len(cycles), n + 1)
                # Oldest first, contiguous 30-day cycles, the last one contains today.
                for older, newer in zip(cycles, cycles[1:]):
                    end = dt.date.fromisoformat(older["endDate"][:10])
                    self.assertEqual(end + dt.timedelta(days=1),
                                     dt.date.fromisoformat(newer["startDate"][:10]))
                self.assertLessEqual(cycles[-1]["startDate"], today)
                self.assertGreaterEqual(cycles[-1]["endDate"], today)
                dates = [d["date"] for c in cycles for d in c["dailyDataUsage"]]
                self.assertEqual(dates, sorted(dates))
                self.assertTrue(all(d <= today for d in dates))
                starts.add(cycles[-1]["startDate"][8:10])
        # Anchors vary per line, so cycles follow no calendar month.
        self.assertGreater(len(starts), 3)
        # The same (line, day) comes back with the same value in every overlapping window.
        small, large = self.day_values(by_previous[1]), self.day_values(by_previous[3])
        self.assertTrue(set(small) < set(large))
        self.assertTrue(all(large[k] == v for k, v in small.items()))

    def test_zero_days_are_omitted(self):
        self.control(freeze_revision=True)
        content = self.query_ok(body={"previousBillingCycles": 3})
        present = missing = 0
        for result in content["results"]:
            active_from = result["servicePlan"]["activeFrom"][:10]
            for cycle in result["billingCycles"]:
                dates = {d["date"][:10] for d in cycle["dailyDataUsage"]}
                day = dt.date.fromisoformat(cycle["startDate"][:10])
                while day <= min(TODAY, dt.date.fromisoformat(cycle["endDate"][:10])):
                    if day.isoformat() >= active_from:
                        if day.isoformat() in dates:
                            present += 1
                        else:
                            missing += 1
                    day += dt.timedelta(days=1)
        self.assertGreater(present, 1500)
        # About 1 day in 15 has no usage and is absent.
        self.assertTrue(0.03 < missing / (present + missing) < 0.12, (present, missing))

    def test_revision_bumps_on_page_zero_and_corrects_recent_days(self):
        first = self.day_values(self.query_ok(body={"previousBillingCycles": 1}))
        self.query_ok(page=1, limit=10)
        self.assertEqual(self.stats()["revision"], 1)
        second = self.day_values(self.query_ok(body={"previousBillingCycles": 1}))
        self.assertEqual(self.stats()["revision"], 2)
        recent = {f"{(TODAY - dt.timedelta(days=k)).isoformat()}T00:00:00Z" for k in (0, 1)}
        changed = {key for key in first if first[key] != second.get(key)}
        self.assertTrue(changed)
        self.assertTrue(all(date in recent for _, date in changed), changed)
        for key in changed:
            # Partial values only grow towards the final value.
            self.assertGreaterEqual(second[key]["standardGB"], first[key]["standardGB"])
        # Older days never change, in the model either.
        fleet = sd.Fleet(LINES)
        line = fleet.lines[0]
        old_day = TODAY - dt.timedelta(days=5)
        self.assertEqual(fleet.usage(line, old_day, 0), fleet.usage(line, old_day, 9))

    def test_service_lines(self):
        r = self.request("GET", "/api/public/v2/service-lines?page=0",
                         headers={"Authorization": f"Bearer {self.token()}"})
        content = r.json()["content"]
        self.assertEqual((content["limit"], content["totalCount"], content["isLastPage"]),
                         (100, LINES, True))
        self.assertEqual(set(content["results"][0]),
                         {"serviceLineNumber", "nickname", "addressReferenceId",
                          "productReferenceId", "startDate", "endDate", "active", "publicIp"})

    def test_simple_matches_v2_model(self):
        self.control(freeze_revision=True, revision=4)
        simple = self.request("GET", "/simple?days=10").json()
        v2 = self.day_values(self.query_ok(body={"previousBillingCycles": 1}))
        self.assertEqual(len(simple), LINES)
        first = (TODAY - dt.timedelta(days=9)).isoformat()
        for number, line in simple.items():
            for day in line["daily_usage"]:
                self.assertTrue(first <= day["date"] <= TODAY.isoformat())
                record = v2[(number, f"{day['date']}T00:00:00Z")]
                self.assertAlmostEqual(day["usage_gb"],
                                       record["priorityGB"] + record["standardGB"], places=6)
        default = self.request("GET", "/simple", headers={"Authorization": "Bearer whatever"})
        self.assertEqual(default.status, 200)

    # ---- server behaviour ---------------------------------------------------------------

    def test_keep_alive_reuses_the_connection(self):
        self.query_ok()
        sock = self.conn.sock
        self.query_ok()
        self.assertIs(self.conn.sock, sock)

    def test_concurrency_is_tracked(self):
        self.control(latency_ms=400)
        barrier = threading.Barrier(6)
        statuses = []

        def fetch():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            barrier.wait()
            conn.request("GET", "/simple?days=2")
            statuses.append(conn.getresponse().status)
            conn.close()

        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(statuses, [200] * 6)
        stats = self.stats()
        self.assertEqual(stats["peak_in_flight"], 6)
        self.assertEqual(stats["requests"]["simple"], 6)

    def test_concurrent_fetches_overlap_latency(self):
        # A sanity check of the mock, not a benchmark: the latency sleeps of concurrent
        # requests overlap, so 4 concurrent page fetches take about as long as one (4x if
        # the server serialised them). The margins are generous on purpose.
        self.control(latency_ms=100)
        token = self.token()
        conns = [http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                 for _ in range(4)]
        try:
            # Warm-up: every connection open and every page's body cached. Pages 1-4 only,
            # since page 0 would start a new revision.
            for page, conn in enumerate(conns, 1):
                self.assertEqual(self.query(page=page, limit=4, token=token, conn=conn).status,
                                 200)
            start = time.monotonic()
            self.assertEqual(self.query(page=1, limit=4, token=token, conn=conns[0]).status, 200)
            single = time.monotonic() - start
            barrier = threading.Barrier(4)
            spans, statuses = [], []

            def fetch(page, conn):
                barrier.wait()
                began = time.monotonic()
                statuses.append(self.query(page=page, limit=4, token=token, conn=conn).status)
                spans.append((began, time.monotonic()))

            threads = [threading.Thread(target=fetch, args=(page, conn))
                       for page, conn in enumerate(conns, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            for conn in conns:
                conn.close()
        self.assertEqual(statuses, [200] * 4)
        concurrent = max(end for _, end in spans) - min(began for began, _ in spans)
        self.assertGreaterEqual(single, 0.1)
        self.assertLess(concurrent, 2.5 * single, (concurrent, single))
        self.assertEqual(self.stats()["peak_in_flight"], 4)

    def test_bodies_are_cached_per_revision(self):
        fleet = sd.Fleet(LINES)
        # A revision no other test reaches, so no body of it can be cached yet.
        self.control(revision=10_000)
        body = {"previousBillingCycles": 2}
        first = self.query(page=0, limit=7, body=body)
        self.assertEqual(first.body, compact(fleet.query_results(0, 7, 2, None, 10_001)))
        second = self.query(page=1, limit=7, body=body)
        self.assertEqual(self.query(page=1, limit=7, body=body).body, second.body)
        cache = self.stats()["body_cache"]
        self.assertEqual((cache["revision"], cache["entries"], cache["hits"], cache["misses"]),
                         (10_001, 2, 1, 2))
        self.assertEqual(cache["bytes"], len(first.body) + len(second.body))
        # Body-changing faults and the query body are part of the key.
        self.control(duplicate_days=True)
        self.assertNotEqual(self.query(page=1, limit=7, body=body).body, second.body)
        self.control(duplicate_days=None)
        self.query(page=1, limit=7, body={"previousBillingCycles": 1})
        self.query(page=1, limit=7,
                   body={**body, "serviceLineNumbers": [sd.service_line_number(9)]})
        self.assertEqual(self.query(page=1, limit=7, body=body).body, second.body)
        cache = self.stats()["body_cache"]
        self.assertEqual((cache["entries"], cache["hits"], cache["misses"]), (5, 2, 5))
        # Faults applied on top of the cached body leave it alone.
        self.control(truncate_page=1)
        self.assertEqual(self.query(page=1, limit=7, body=body).body,
                         second.body[: len(second.body) // 2])
        self.control(truncate_page=None)
        self.assertEqual(self.query(page=1, limit=7, body=body).body, second.body)
        # A new run (page 0) drops the previous revision's bodies.
        self.query(page=0, limit=7, body=body)
        cache = self.stats()["body_cache"]
        self.assertEqual((cache["revision"], cache["entries"]), (10_002, 1))
        # /simple too: cached while the revision is frozen.
        self.control(freeze_revision=True)
        simple = self.request("GET", "/simple?days=3").body
        self.assertEqual(simple, compact(fleet.simple_payload(3, 10_002)))
        self.assertEqual(self.request("GET", "/simple?days=3").body, simple)
        self.assertEqual(self.stats()["body_cache"]["hits"], 5)

    def test_page_is_one_well_formed_response(self):
        # Status line, headers and body leave in one sendmsg: the framing must stay exact
        # for the next request on the same connection.
        body = {"previousBillingCycles": 2}
        r = self.query(page=1, limit=7, body=body)
        self.assertEqual(r.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(int(r.headers["Content-Length"]), len(r.body))
        self.assertTrue(r.headers["Date"] and r.headers["Server"].startswith("StarlinkMock/"))
        self.assertEqual(self.query(page=1, limit=7, body=body).body, r.body)
        self.assertEqual(self.stats()["statuses"], {"200": 3})  # the token and two pages

    def test_throughput_script(self):
        import throughput
        self.control(latency_ms=5)
        # 3 pages, fetched twice over in each pass to reach min_pages.
        result = throughput.measure(self.port, cycles=1, limit=7, concurrency=2, rounds=1, min_pages=5)
        fleet = sd.Fleet(LINES)
        # The revision stays frozen (0 after the reset) while it measures.
        expected = sum(len(fleet.query_results_json(page, 7, 1, [], 0, False)) for page in range(3))
        self.assertEqual((result["pages"], result["fetched"], result["bytes"]), (3, 6, 2 * expected))
        self.assertGreater(result["mb_per_s"], 0)
        # Its settings are put back.
        self.assertEqual(self.stats()["faults"], {"latency_ms": 5})

    def test_unknown_path_and_control_key(self):
        self.assertErrorEnvelope(self.request("GET", "/api/nope"), 404, "Not Found")
        r = self.post_json("/_control", {"no_such_fault": 1})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["errors"][0]["memberNames"], ["no_such_fault"])
        self.assertEqual(self.post_json("/_control", {"status_sequence": "429"}).status, 400)

    def test_request_log(self):
        self.request("GET", "/api/nope-logged")
        with open(self.log) as f:
            self.assertIn("GET /api/nope-logged 404\n", f.read())

    # ---- faults -------------------------------------------------------------------------

    def test_status_sequence_with_and_without_retry_after(self):
        self.control(status_sequence=[429, 503, 422], retry_after=2)
        r = self.query()
        self.assertErrorEnvelope(r, 429, "Too Many Requests")
        self.assertEqual(r.headers["Retry-After"], "2")
        r = self.query()
        self.assertErrorEnvelope(r, 503, "Internal Server Error")
        self.assertEqual(r.headers["Retry-After"], "2")
        r = self.query()
        self.assertErrorEnvelope(r, 422, "Failed to query data usage")
        self.assertIsNone(r.headers["Retry-After"])
        self.query_ok()
        self.control(status_sequence=[429, 500], retry_after=None)  # null clears a key
        r = self.request("GET", "/simple")
        self.assertEqual((r.status, r.headers["Retry-After"]), (429, None))
        self.assertErrorEnvelope(self.request("GET", "/simple"), 500, "Internal Server Error")
        self.assertEqual(self.request("GET", "/simple").status, 200)

    def test_fail_page(self):
        self.control(fail_page={"page": 2, "status": 500})
        self.query_ok(page=0, limit=7)
        self.query_ok(page=1, limit=7)
        for _ in range(2):
            self.assertErrorEnvelope(self.query(page=2, limit=7), 500, "Internal Server Error")
        self.assertEqual(self.stats()["data_usage_pages"], {"0": 1, "1": 1, "2": 2})

    def test_invalid_envelope(self):
        self.control(invalid_envelope=True)
        r = self.query()
        self.assertEqual(r.status, 200)
        self.assertFalse(r.json()["isValid"])
        self.assertEqual(r.json()["errors"][0]["errorMessage"], "Failed to query data usage")

    def test_slow_body(self):
        self.control(slow_ms=600)
        start = time.monotonic()
        self.conn.request("GET", "/simple?days=5")
        response = self.conn.getresponse()
        headers_after = time.monotonic() - start
        body = response.read()
        total = time.monotonic() - start
        self.assertLess(headers_after, 0.3)
        self.assertGreater(total, 0.5)
        self.assertEqual(len(json.loads(body)), LINES)

    def test_hang_times_out_the_client(self):
        self.control(hang_ms=800)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=0.2)
        with self.assertRaises(socket.timeout):
            self.query(conn=conn)
        conn.close()

    def test_truncate_short_body(self):
        self.control(freeze_revision=True)  # byte-identical pages
        full = self.query(limit=5).body
        self.control(truncate_page=0)
        r = self.query(limit=5)
        self.assertEqual(r.status, 200)
        self.assertEqual(int(r.headers["Content-Length"]), len(r.body))
        self.assertEqual(r.body, full[: len(full) // 2])
        with self.assertRaises(ValueError):
            json.loads(r.body)
        self.query_ok(page=1, limit=5)  # other pages stay whole

    def test_truncate_early_close(self):
        self.control(truncate_page=0, truncate_mode="early_close", freeze_revision=True)
        self.conn.request("POST", f"{QUERY}?page=0", body=b"{}",
                          headers={"Authorization": f"Bearer {self.token()}"})
        response = self.conn.getresponse()
        declared = int(response.headers["Content-Length"])
        with self.assertRaises(http.client.IncompleteRead) as caught:
            response.read()
        self.assertEqual(len(caught.exception.partial), declared // 2)

    def test_oversize_bytes(self):
        self.control(oversize_bytes=3_000_000)
        r = self.query()
        self.assertGreaterEqual(len(r.body), 3_000_000)
        self.assertEqual(int(r.headers["Content-Length"]), len(r.body))
        envelope = r.json()
        self.assertTrue(envelope["isValid"])
        self.assertEqual(len(envelope["content"]["results"]), LINES)
        self.assertGreater(len(envelope["warnings"][0]["errorMessage"]), 2_000_000)
        simple = self.request("GET", "/simple")
        self.assertGreaterEqual(len(simple.body), 3_000_000)
        self.assertEqual(len(simple.json()), LINES)

    def test_redirect_elsewhere(self):
        self.control(redirect={"location": "http://other.invalid:1/x"})
        r = self.query()
        self.assertEqual((r.status, r.headers["Location"]), (302, "http://other.invalid:1/x"))
        self.control(redirect={"status": 301, "location": "http://other.invalid:1/y"})
        self.assertEqual(self.query().status, 301)

    def test_redirect_same_host_hops(self):
        self.control(redirect_same_host_hops=3)
        path = f"{QUERY}?page=0&limit=5"
        hops = 0
        while True:
            r = self.post_json(path, {}, {"Authorization": f"Bearer {self.token()}"})
            if r.status != 307:
                break
            hops += 1
            location = urlsplit(r.headers["Location"])
            self.assertEqual(location.port, self.port)
            path = f"{location.path}?{location.query}"
        self.assertEqual((hops, r.status), (3, 200))
        self.assertIn("hop=3", path)

    def test_duplicate_days(self):
        self.control(duplicate_days=True)
        content = self.query_ok(limit=5)
        result = content["results"][0]
        dates = [d["date"] for c in result["billingCycles"] for d in c["dailyDataUsage"]]
        dupes = {d for d in dates if dates.count(d) == 2}
        self.assertEqual(len(dupes), 1)
        copies = [d for c in result["billingCycles"] for d in c["dailyDataUsage"]
                  if d["date"] in dupes]
        self.assertNotEqual(copies[0]["standardGB"], copies[1]["standardGB"])
        # The duplicate sits in the preceding cycle, whose range now overlaps the newest.
        self.assertGreaterEqual(result["billingCycles"][-2]["endDate"],
                                result["billingCycles"][-1]["startDate"])
        simple = self.request("GET", "/simple?days=5").json()
        dates = [d["date"] for d in next(iter(simple.values()))["daily_usage"]]
        self.assertEqual(len(dates) - len(set(dates)), 1)

    def test_reset_clears_faults_and_stats(self):
        self.control(status_sequence=[500, 500], latency_ms=5)
        self.assertEqual(self.query(page=1, limit=5).status, 500)  # any page consumes it
        self.post_json("/_reset", {})
        stats = self.stats()
        self.assertEqual(stats["faults"], {})
        self.assertEqual((stats["revision"], stats["tokens_issued"]), (0, 0))
        self.assertEqual(sum(stats["requests"].values()), 0)


class HostileTest(unittest.TestCase):
    """The hostile answers of hostile.py: each is what its README line says, on the wire. A
    server of its own (MockApiTest's set-up and helpers, not its tests)."""

    setUpClass = classmethod(MockApiTest.setUpClass.__func__)
    tearDownClass = classmethod(MockApiTest.tearDownClass.__func__)
    setUp = MockApiTest.setUp
    tearDown = MockApiTest.tearDown
    request = MockApiTest.request
    post_json = MockApiTest.post_json
    control = MockApiTest.control

    def raw(self, path="/simple?days=5", timeout=10) -> socket.socket:
        """A new connection that has sent GET `path`; the answer is read raw."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.addCleanup(sock.close)
        return sock

    @staticmethod
    def read_until_closed(sock, at_most=None) -> bytes:
        data = b""
        while at_most is None or len(data) < at_most:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        return data

    def test_endless_body(self):
        self.control(endless_body=True)
        data = self.read_until_closed(self.raw(), at_most=8_000_000)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"Transfer-Encoding: chunked", head)
        self.assertGreaterEqual(len(body), 7_000_000, "still coming after 8 MB")
        self.assertTrue(body.startswith(b"%x\r\n" % len(hostile.ENVELOPE_PREFIX) + hostile.ENVELOPE_PREFIX
                                        + b"\r\n10000\r\nxxxx"))

    def test_slowloris_one_byte_at_a_time(self):
        self.control(slowloris_ms=150)
        sock = self.raw()
        start = time.monotonic()
        got = b""
        while len(got) < 4:
            got += sock.recv(1)
        self.assertEqual(got, b"HTTP")
        self.assertGreater(time.monotonic() - start, 0.4, "four bytes take three pauses at least")

    def test_compression_bombs_inflate_to_what_they_say(self):
        for encoding, inflate in (("gzip", lambda b: zlib.decompress(b, 31)), ("deflate", zlib.decompress)):
            with self.subTest(encoding):
                self.control(compression_bomb={"encoding": encoding, "bytes": 5_000_000})
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                self.addCleanup(conn.close)
                r = self.request("GET", "/simple?days=5", conn=conn)
                self.assertEqual((r.status, r.headers["Content-Encoding"]), (200, encoding))
                self.assertLess(len(r.body), 20_000)
                plain = inflate(r.body)  # checksums and lengths are right
                self.assertEqual(len(plain), 5_000_000)
                self.assertTrue(plain.startswith(b'{"isValid":true,"errors":[],"warnings":[{'))
        # The default is 10 GiB, about 10 MB on the wire.
        length, _ = hostile.bomb_parts("gzip", hostile.ENVELOPE_PREFIX, hostile.DEFAULT_BOMB_BYTES)
        self.assertLess(length, 12_000_000)
        self.control(compression_bomb={"encoding": "gzip"})
        head = self.read_until_closed(self.raw(), at_most=4096).partition(b"\r\n\r\n")[0]
        self.assertIn(b"Content-Length: %d" % length, head)

    def test_huge_headers(self):
        self.control(huge_headers_bytes=2_000_000)
        data = self.read_until_closed(self.raw())
        head, found, body = data.partition(b"\r\n\r\n")
        self.assertTrue(found)
        self.assertGreaterEqual(len(head), 2_000_000)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\nX-Padding-0: hhh"))
        self.assertEqual(len(json.loads(body)), LINES, "the honest body after them")

    def test_broken_chunked(self):
        self.control(broken_chunked="bad_size")
        data = self.read_until_closed(self.raw())
        self.assertIn(b"Transfer-Encoding: chunked", data)
        self.assertIn(b"\r\nzz-not-hex\r\n", data)
        self.control(broken_chunked="cut")
        r = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        r.request("GET", "/simple?days=5")
        with self.assertRaises(http.client.IncompleteRead):
            r.getresponse().read()
        r.close()

    def test_garbage_error(self):
        self.control(garbage_error=True)
        r = self.request("GET", "/simple?days=5")
        self.assertEqual((r.status, r.body), (400, hostile.GARBAGE))

    def test_hostile_keys_are_validated(self):
        for bad in ({"compression_bomb": {"encoding": "br"}}, {"broken_chunked": "maybe"},
                    {"slowloris_ms": 0}, {"huge_headers_bytes": True}):
            with self.subTest(bad):
                self.assertEqual(self.post_json("/_control", bad).status, 400)

    def test_token_html(self):
        self.control(token_html=True)
        r = self.request("POST", "/api/auth/connect/token", b"grant_type=client_credentials",
                         {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((r.status, r.headers["Content-Type"]), (200, "text/html; charset=utf-8"))
        self.assertTrue(r.body.startswith(b"<!DOCTYPE html>"))


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command to make a certificate")
class TlsTest(unittest.TestCase):
    def test_https_with_a_self_signed_certificate(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            proc, port, _ = start_server(tmp, "--tls-cert", cert, "--tls-key", key)
            try:
                untrusting = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                                         context=ssl.create_default_context())
                with self.assertRaises(ssl.SSLCertVerificationError):
                    untrusting.request("GET", "/_stats")
                trusting = http.client.HTTPSConnection("127.0.0.1", port, timeout=5,
                                                       context=ssl.create_default_context(cafile=cert))
                trusting.request("GET", "/_stats")
                response = trusting.getresponse()
                self.assertEqual(response.status, 200)
                self.assertEqual(json.loads(response.read())["tls_handshake_failures"], 1)
                trusting.close()
            finally:
                self.assertEqual(stop_server(proc), 0)


class SignalTest(unittest.TestCase):
    def test_sigint_shuts_down_cleanly(self):
        with tempfile.TemporaryDirectory() as tmp:
            proc, port, _ = start_server(tmp)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/_stats")
            response = conn.getresponse()
            response.read()
            self.assertEqual(response.status, 200)
            # The idle keep-alive connection must not hold up the shutdown.
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(timeout=2), 0)
            conn.close()
            proc.stdout.close()


@contextlib.contextmanager
def own_server(test, *extra: str, timeout: float = 10):
    """A server of the test's own, started with `extra` options, and a keep-alive connection
    to it: yields (connection, the Authorization header of a token)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, _ = start_server(tmp, *extra)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("POST", "/api/auth/connect/token",
                         "grant_type=client_credentials&client_id=test-client"
                         "&client_secret=test-secret")
            token = json.loads(conn.getresponse().read())["access_token"]
            yield conn, {"Authorization": f"Bearer {token}"}
        finally:
            conn.close()
            test.assertEqual(stop_server(proc), 0)


class ScaleTest(unittest.TestCase):
    def test_2000_lines_three_cycles(self):
        # All 40 pages (limit 50) of 2,000 lines x 3 billing cycles, for two revisions (the
        # second served from the per-line cache of settled days): every line once, the last
        # page flagged. How fast this is belongs to make bench, not to an assertion here.
        with own_server(self, "--lines", "2000", timeout=60) as (conn, headers):
            body = json.dumps({"previousBillingCycles": 2})

            def run():
                numbers, last = [], []
                for page in range(40):
                    conn.request("POST", f"{QUERY}?page={page}&limit=50", body, headers)
                    response = conn.getresponse()
                    data = response.read()
                    self.assertEqual(response.status, 200)
                    content = json.loads(data)["content"]
                    numbers += [r["serviceLineNumber"] for r in content["results"]]
                    last.append(content["isLastPage"])
                self.assertEqual((len(numbers), len(set(numbers))), (2000, 2000))
                self.assertEqual(last, [False] * 39 + [True])

            run()
            run()


class BodyCacheLimitTest(unittest.TestCase):
    def test_a_full_cache_starts_over(self):
        # --body-cache-mb 0: every new body finds the cache full, so only the last is kept.
        with own_server(self, "--body-cache-mb", "0") as (conn, headers):
            bodies = []
            for page in (1, 2, 2):
                conn.request("POST", f"{QUERY}?page={page}&limit=7", "{}", headers)
                bodies.append(conn.getresponse().read())
            self.assertEqual(bodies[1:], [compact(sd.Fleet(LINES).query_results(2, 7, 1, None, 0, True))] * 2)
            conn.request("GET", "/_stats")
            cache = json.loads(conn.getresponse().read())["body_cache"]
            self.assertEqual((cache["max_bytes"], cache["evictions"], cache["entries"], cache["hits"]),
                             (0, 2, 1, 1))


class DataModelTest(unittest.TestCase):
    def test_json_renderers_match_the_dicts(self):
        # Every day of the month as "today", so that the current cycle also starts today or
        # yesterday (the partial days then span two cycles) for some lines.
        starts = set()
        for shift in range(30):
            today = TODAY + dt.timedelta(days=shift)
            fleet = sd.Fleet(4, seed=shift, today=today)
            starts |= {(today - fleet.cycle_start(line, today)).days for line in fleet.lines}
            # Revision 0 fills the per-line cache, the others reuse it. 40 previous cycles
            # reach back before activation (those cycles are left out).
            for revision in (0, 1, 6):
                for previous in (0, 2) if shift % 10 else (0, 2, 40):
                    for page in range(2):
                        self.assertEqual(
                            fleet.query_results_json(page, 3, previous, None, revision),
                            compact(fleet.query_results(page, 3, previous, None, revision)))
                numbers = [sd.service_line_number(2), "AST-UNKNOWN"]
                self.assertEqual(fleet.query_results_json(0, 50, 1, numbers, revision),
                                 compact(fleet.query_results(0, 50, 1, numbers, revision)))
                for days in (1, 2, 40):
                    self.assertEqual(fleet.simple_payload_json(days, revision),
                                     compact(fleet.simple_payload(days, revision)))
        self.assertTrue({0, 1} <= starts, starts)
        empty = sd.Fleet(0)
        self.assertEqual(empty.query_results_json(0, 5, 1), compact(empty.query_results(0, 5, 1)))
        self.assertEqual(empty.simple_payload_json(5), b"{}")

    def test_deterministic_per_seed(self):
        a = sd.Fleet(5, seed=7).query_results(0, 5, 1, revision=2)
        b = sd.Fleet(5, seed=7).query_results(0, 5, 1, revision=2)
        c = sd.Fleet(5, seed=8).query_results(0, 5, 1, revision=2)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_no_day_after_today(self):
        fleet = sd.Fleet(3, today=dt.date(2025, 3, 1))
        line = fleet.lines[0]
        self.assertIsNone(fleet.usage(line, dt.date(2025, 3, 2)))
        self.assertEqual(sd.Fleet(3).service_lines_page(1)["content"]["results"], [])

    def test_stream_writer_exact_records_and_corrections(self):
        def generate(fraction):
            buf = io.StringIO()
            summary = sd.write_starlink_payload(buf, 7, 45, seed=3, corrected_fraction=fraction)
            return summary, json.loads(buf.getvalue())

        summary, base = generate(0.0)
        self.assertEqual(summary, {"records": 315, "corrected": 0})
        content = base["content"]
        self.assertEqual((content["totalCount"], content["isLastPage"]), (7, True))
        self.assertEqual(len(content["results"]), 7)
        for result in content["results"]:
            cycles = result["billingCycles"]
            self.assertEqual([len(c["dailyDataUsage"]) for c in cycles], [30, 15])
            self.assertEqual(cycles[-1]["dailyDataUsage"][-1]["date"],
                             f"{TODAY.isoformat()}T00:00:00Z")
            for c in cycles:
                self.assertAlmostEqual(sum(d["standardGB"] for d in c["dailyDataUsage"]),
                                       c["totalStandardGB"], places=6)

        summary, corrected = generate(0.1)
        self.assertEqual(summary, {"records": 315, "corrected": 31})
        old = MockApiTest.day_values(content)
        new = MockApiTest.day_values(corrected["content"])
        changed = [k for k in old if old[k] != new[k]]
        self.assertEqual(len(changed), 31)
        for k in changed:
            self.assertAlmostEqual(new[k]["standardGB"] - old[k]["standardGB"], 1.5, places=6)
            self.assertEqual(new[k]["priorityGB"], old[k]["priorityGB"])

    def test_cli(self):
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(HERE, "starlink_data.py")
            out = os.path.join(tmp, "payload.json")
            run = subprocess.run(
                [sys.executable, script, "payload", "--lines", "3", "--days", "4",
                 "--corrected-fraction", "0.5", "--out", out],
                capture_output=True, text=True, check=True)
            summary = json.loads(run.stderr)
            self.assertEqual((summary["records"], summary["corrected"]), (12, 6))
            self.assertEqual(summary["bytes"], os.path.getsize(out))
            with open(out) as f:
                self.assertEqual(len(json.load(f)["content"]["results"]), 3)
            out = os.path.join(tmp, "simple.json")
            subprocess.run([sys.executable, script, "simple", "--lines", "4", "--days", "6",
                            "--out", out], capture_output=True, check=True)
            with open(out) as f:
                self.assertEqual(json.load(f), sd.Fleet(4).simple_payload(6))


if __name__ == "__main__":
    unittest.main()
