#!/usr/bin/env python3
"""Reads the memcheck logs of make test-valgrind (one per process) and fails when any invalid
read or write, or any definitely lost block, has a usage_archive frame in its stack."""
import pathlib
import re
import sys

KINDS = re.compile(r"^==\d+== (Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised"
                   r"|Syscall param|.* definitely lost in loss record)")
FRAME = re.compile(r"^==\d+==\s+(at|by) 0x")
REPO = pathlib.Path(__file__).resolve().parent.parent
# A frame is ours when it names the library or our namespace, or one of our source files
# (frames with debug information show "fn (file.cpp:line)" and not the library's path).
OUR_FILES = {p.name for p in (REPO / "src").rglob("*.[ch]pp")}


def is_ours(line):
    if not FRAME.match(line):
        return False
    if "usage_archive" in line:
        return True
    source = re.search(r"\(([^():]+\.[ch]pp):\d+\)", line)
    return bool(source and source.group(1) in OUR_FILES)


def reports(text):
    """Each report: its first line and its stack (the lines up to the next blank report line)."""
    current = None
    for line in text.splitlines():
        if KINDS.match(line):
            if current:
                yield current
            current = [line]
        elif current is not None:
            if re.match(r"^==\d+== ?$", line):
                yield current
                current = None
            else:
                current.append(line)
    if current:
        yield current


def main():
    logs = sorted(pathlib.Path(sys.argv[1]).glob("*.log"))
    ours, theirs = [], 0
    for log in logs:
        for report in reports(log.read_text(errors="replace")):
            if any(is_ours(l) for l in report[1:]):
                ours.append((log.name, report))
            else:
                theirs += 1
    for name, report in ours[:20]:
        print(f"--- {name}")
        print("\n".join(report))
    print(f"valgrind: {len(logs)} processes, {len(ours)} reports in usage_archive, "
          f"{theirs} elsewhere (PostgreSQL, libraries; not ours)")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main())
