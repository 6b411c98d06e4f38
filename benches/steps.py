"""Where the time of one profiled run goes, by step of the analysis.

Reads the folded stacks `inferno-collapse-perf` writes (one line per stack: frames from the
root, separated by `;`, then the sample count) and charges each stack to the first step, from
the innermost frame outwards, whose pattern one of its frames matches. Prints a Markdown table
of steps with their share of the samples and the CPU time per row. With perf's `cpu-clock`
event (what a virtual machine without hardware counters records) inferno weighs each stack by
the samples' period, in nanoseconds of CPU: the counts add up to the run's CPU time.

Usage: python3 benches/steps.py FOLDED ROWS
"""

import sys

# Checked from the innermost frame outwards; within a frame, in this order. A step is named
# by what the analysis does, not by the function that happens to be on top (a `memchr` in an
# email check is the email check's).
STEPS = [
    ("email: parse, rules, duplicate key", ("values::email::", "email::Address", "cells::email", "Plan::email")),
    ("dates: parse, calendar, order evidence", ("values::date::", "NaiveDate", "Plan::date", "DateEvidence")),
    ("numbers", ("values::number::", "cells::number", "f64 as core::str::traits::FromStr")),
    ("text: control characters, blanks, length", ("scan_text", "find_control", "blanks_in", "Plan::text", "collapse_blanks", "needs_collapse")),
    ("enums", ("Plan::enumerated", "fold_value")),
    ("duplicates: row hash, sort, repeated keys", ("content_hash", "Keys::", "slice::sort", "Plan::duplicates", "sort_emails")),
    ("splitting lines and fields", ("SplitLine", "line_at", "validate_unquoted", "count_line_ends", "last_line_end", "validate_chunk")),
    ("row bookkeeping (Plan::validate itself)", ("Plan::validate", "Plan::settle_row", "Plan::finish")),
    ("UTF-8 check and decoding", ("simdutf8", "sheet::decode", "from_utf8")),
    ("header, dialect and matching", ("header_row", "dialect", "matching::", "prescan")),
    ("reading the file", ("RosterArgs::read", "std::fs::read", "read_to_end", "stream::fill")),
    ("writing the JSON report", ("serde_json", "print_json")),
]


def step_of(frames):
    for frame in reversed(frames):
        for name, patterns in STEPS:
            if any(p in frame for p in patterns):
                return name
    return "other (process start, kernel, allocator outside the steps)"


def main():
    folded, rows = sys.argv[1], int(sys.argv[2])
    totals = {}
    samples = 0
    with open(folded, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            samples += n
            name = step_of(stack.split(";"))
            totals[name] = totals.get(name, 0) + n
    if samples == 0:
        sys.exit(f"{folded}: no samples")
    seconds = samples / 1e9
    print(f"{seconds:.3f} s of CPU, {rows:,} rows\n")
    print("| step | share | ns per row |")
    print("| --- | ---: | ---: |")
    for name, n in sorted(totals.items(), key=lambda kv: -kv[1]):
        share = n / samples
        print(f"| {name} | {share:.1%} | {share * seconds * 1e9 / rows:.0f} |")


if __name__ == "__main__":
    main()
