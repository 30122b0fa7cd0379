"""Rule evaluation cost: the sandbox against plain, unrestricted ``eval`` of the same source.

Each case is compiled once (as rules are: cached by source) and evaluated many times with
a record-like scope; the table gives microseconds per evaluation and the sandbox/plain
ratio. The sandbox adds per-run guards (a step budget, size meters, guarded attribute and
operator calls), so the ratio shows what safety costs; the absolute figure is what a
validation rule or formula costs per save.

    .venv/bin/python benchmarks/rules.py
"""

from __future__ import annotations

import decimal
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plinth.rules.sandbox import compile_rule, evaluate  # noqa: E402
from plinth.rules.sandbox.views import RecordView  # noqa: E402

RECORD = {
    "qty": 42,
    "unit_price": decimal.Decimal("19.90"),
    "status": "open",
    "priority": "urgent",
    "note": "Replace the compressor",
    "items": [3, 1, 4, 1, 5, 9, 2, 6],
}
CASES = [
    ("simple condition", "qty <= 100"),
    ("two conditions", "status == 'open' and priority in ('urgent', 'high')"),
    ("formula (decimal)", "qty * unit_price"),
    ("text", "note.lower().startswith('replace')"),
    ("record attribute", "record.qty > 10 and record.status != 'done'"),
    ("comprehension", "sum(x for x in items if x > 2)"),
]


def _time(function, iterations: int) -> float:
    """Median microseconds per call over 5 batches."""
    batches = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(iterations):
            function()
        batches.append((time.perf_counter() - started) / iterations * 1e6)
    return statistics.median(batches)


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    scope = {**RECORD, "record": RecordView(RECORD)}
    print(f"\n## rule evaluation, median of 5 x {iterations:,} runs (microseconds)\n")
    print(f"{'case':<20} {'sandbox':>9} {'plain eval':>11} {'ratio':>7}   source")
    for label, source in CASES:
        rule = compile_rule(source)
        plain_code = compile(source, "<plain>", "eval")
        plain_scope = {"__builtins__": __builtins__, **RECORD, "record": SimpleNamespace(**RECORD)}
        assert evaluate(rule, scope) == eval(plain_code, plain_scope)  # noqa: S307 - trusted
        sandbox = _time(lambda r=rule: evaluate(r, scope), iterations)
        plain = _time(lambda c=plain_code, g=plain_scope: eval(c, g), iterations)  # noqa: S307
        print(f"{label:<20} {sandbox:9.2f} {plain:11.2f} {sandbox / plain:6.1f}x   {source}")
    from plinth.rules.sandbox.compiler import _compile

    _compile.cache_clear()
    started = time.perf_counter()
    for _, source in CASES:
        compile_rule(source)
    per_compile = (time.perf_counter() - started) / len(CASES) * 1e3
    print(f"\ncompiling a rule (once per source text, then cached): {per_compile:.2f} ms")


if __name__ == "__main__":
    main()
