#!/usr/bin/env python3
"""Read a Prometheus text exposition strictly, as Prometheus would.

    metrics_check.py FILE [NAME{LABELS}>=VALUE ...]

Checks the format (version 0.0.4): every sample belongs to a family whose
HELP and TYPE came before it, names and labels are well formed, no series
twice, values are numbers; a histogram's buckets per series are cumulative,
in rising order of le, end at +Inf, and equal its _count. Then each
expectation: the series named (labels in any order) exists and its value
is at least VALUE ("==VALUE" for exactly). Exit 1 with every problem
printed; standard library only.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"^(" + NAME + r")(?:\{((?:" + LABEL + r",?)*)\})? (\S+)$")


def labels_of(text):
    return tuple(sorted(re.findall(LABEL, text or "")))


def number(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf"))
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", text):
        raise ValueError(text)
    return float(text)


def parse(text, problems):
    families = {}      # name -> type
    helped = set()
    series = {}        # (name, labels) -> value
    for number_, line in enumerate(text.split("\n"), 1):
        if line == "":
            continue
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in helped:
                problems.append(f"line {number_}: HELP for {name} twice")
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                problems.append(f"line {number_}: bad TYPE line: {line}")
                continue
            if parts[2] in families:
                problems.append(f"line {number_}: TYPE for {parts[2]} twice")
            families[parts[2]] = parts[3]
            continue
        if line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if not match:
            problems.append(f"line {number_}: not a sample: {line!r}")
            continue
        name, label_text, value = match.group(1), match.group(2), match.group(5)
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and families.get(name[: -len(suffix)]) == "histogram":
                family = name[: -len(suffix)]
        if family not in families or family not in helped:
            problems.append(f"line {number_}: {name} has no TYPE and HELP before it")
        if families.get(family) == "counter" and not name.endswith("_total"):
            problems.append(f"line {number_}: counter {name} does not end in _total")
        try:
            value = number(value)
        except ValueError:
            problems.append(f"line {number_}: {value!r} is not a number")
            continue
        key = (name, labels_of(label_text))
        if key in series:
            problems.append(f"line {number_}: {name}{{{label_text}}} twice")
        series[key] = value
    # Histograms: cumulative buckets ending at +Inf, equal to _count
    for family, kind in families.items():
        if kind != "histogram":
            continue
        groups = {}
        for (name, labels), value in series.items():
            if name == family + "_bucket":
                rest = tuple(pair for pair in labels if pair[0] != "le")
                le = dict(labels).get("le")
                groups.setdefault(rest, []).append((number(le), value))
        for rest, buckets in groups.items():
            buckets.sort()
            counts = [count for _, count in buckets]
            if counts != sorted(counts):
                problems.append(f"{family}{dict(rest)}: buckets not cumulative")
            if not math.isinf(buckets[-1][0]):
                problems.append(f"{family}{dict(rest)}: no +Inf bucket")
            if series.get((family + "_count", rest)) != counts[-1]:
                problems.append(f"{family}{dict(rest)}: _count is not the +Inf bucket")
            if (family + "_sum", rest) not in series:
                problems.append(f"{family}{dict(rest)}: no _sum")
    return series


def selftest():
    """Each planted fault is found; a good exposition passes."""
    good = ('# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 3\n'
            '# HELP h H.\n# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\n'
            'h_sum 0.7\nh_count 2\n')
    planted = {
        "no TYPE": "a_total 1\n",
        "not cumulative": good.replace('h_bucket{le="+Inf"} 2', 'h_bucket{le="+Inf"} 0')
                                .replace("h_count 2", "h_count 0"),
        "count": good.replace("h_count 2", "h_count 3"),
        "no +Inf": good.replace('h_bucket{le="+Inf"} 2\n', ""),
        "not a number": good.replace("a_total{x=\"1\"} 3", "a_total{x=\"1\"} three"),
        "twice": good + 'a_total{x="1"} 4\n',
        "not a sample": good.replace('{x="1"}', "{x=1}"),
        "_total": good.replace("a_total", "a"),
    }
    problems = []
    parse(good, problems)
    assert problems == [], problems
    for what, text in planted.items():
        problems = []
        parse(text, problems)
        assert problems, f"planted '{what}' not found"
    print("metrics_check: selftest OK")
    return 0


def main():
    if sys.argv[1:] == ["--selftest"]:
        return selftest()
    if len(sys.argv) < 2:
        print(__doc__.strip())
        return 2
    problems = []
    with open(sys.argv[1], encoding="utf-8") as stream:
        series = parse(stream.read(), problems)
    for expectation in sys.argv[2:]:
        match = re.fullmatch(r"(" + NAME + r")(?:\{(.*)\})?(>=|==)(\S+)", expectation)
        if not match:
            problems.append(f"expectation {expectation!r} is not NAME{{LABELS}}>=VALUE")
            continue
        key = (match.group(1), labels_of(match.group(2)))
        want = float(match.group(4))
        if key not in series:
            problems.append(f"no series {expectation.split('>=')[0].split('==')[0]}")
        elif (series[key] < want) if match.group(3) == ">=" else (series[key] != want):
            problems.append(f"{expectation}: it is {series[key]:g}")
    for problem in problems:
        print("metrics_check:", problem)
    print(f"metrics_check: {len(series)} series, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
