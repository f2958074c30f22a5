#!/usr/bin/env python3
"""Drive a running mock API from tests and scripts.

    control.py reset                 clear faults and statistics (revision back to 0)
    control.py set '{"status_sequence": [429]}'   add fault settings (see README.md)
    control.py stats [KEY ...]       print /_stats, or the values at the given keys

The port comes from --port or the USAGE_ARCHIVE_MOCK_PORT environment variable. Prints
nothing for reset and set, so tests that call it keep a stable output.
"""
import argparse
import json
import os
import sys
import urllib.request


def call(port, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", default=os.environ.get("USAGE_ARCHIVE_MOCK_PORT"))
    parser.add_argument("command", choices=["reset", "set", "stats"])
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    if not options.port:
        sys.exit("control.py: no --port and no USAGE_ARCHIVE_MOCK_PORT")
    if options.command == "reset":
        call(options.port, "POST", "/_reset", {})
    elif options.command == "set":
        call(options.port, "POST", "/_control", json.loads(options.args[0]))
    else:
        stats = call(options.port, "GET", "/_stats")
        for key in options.args:
            for part in key.split("."):
                stats = stats.get(part) if isinstance(stats, dict) else None
        print(json.dumps(stats, sort_keys=True) if not isinstance(stats, (int, str)) else stats)


if __name__ == "__main__":
    main()
