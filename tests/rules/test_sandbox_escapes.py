"""Known escape and denial-of-service attempts: each is refused at compile time or stopped
at run time by a budget, and the process lives on.

Sources: RestrictedPython and Frappe safe_exec reports, format-string attribute walks,
generator/frame introspection, recursion, huge powers, quadratic string growth.

The attempts run with the sandbox's clock stopped (``clock_stopped``): what stops them is
then a budget that does not depend on the machine's speed (steps, sizes, depth), never the
time limit, so a test passes or fails the same on a fast or a busy machine. The time limit
itself is checked on a fake clock that moves a set amount per reading.
"""

import threading

import pytest

from plinth.auth.actor import Actor
from plinth.rules.sandbox import SandboxError, SandboxRuntimeError, budget, evaluate, execute, sizes
from plinth.rules.sandbox.views import RecordView, UserView
from plinth.testing import FakeClock

HANG = 60  # a liveness guard: fails a test only if a run never ends


@pytest.fixture
def clock_stopped(monkeypatch) -> FakeClock:
    """The sandbox's clock stands still: no run can end by running out of time."""
    clock = FakeClock()
    monkeypatch.setattr(budget, "time", clock)
    monkeypatch.setattr(sizes, "time", clock)
    return clock


def outcome(mode: str, source: str, scope: dict, **limits):
    """The SandboxError that ended the run, or None if it ran to its end; run in a thread
    so a run that never ends fails the test instead of hanging it."""
    result: list = []

    def run() -> None:
        try:
            (evaluate if mode == "eval" else execute)(source, scope, **limits)
            result.append(None)
        except SandboxError as exc:
            result.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(HANG)  # a liveness guard, not a timing
    assert result, f"{source!r} did not stop"
    return result[0]


ATTEMPTS = [
    # -- imports and dunder walks (refused when the rule is saved)
    ("exec", "import os"),
    ("exec", "from os import path"),
    ("eval", "__import__('os').system('id')"),
    ("eval", "().__class__.__bases__[0].__subclasses__()"),
    ("eval", "[c for c in ().__class__.__base__.__subclasses__()]"),
    ("eval", "(lambda: 0).__code__"),
    ("eval", "int.__subclasses__()"),
    ("eval", "record._values"),
    ("eval", "user.__dict__"),
    ("eval", "math._entries"),
    ("eval", "f'{(1).__class__}'"),
    ("eval", "(x for x in []).gi_frame.f_globals"),
    ("eval", "(x for x in []).gi_code"),
    ("exec", "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__"),
    ("exec", "class X:\n    pass"),
    ("exec", "def f():\n    yield 1"),
    ("exec", "global x\nx = 1"),
    ("exec", "try:\n    pass\nexcept:\n    pass"),
    ("exec", "try:\n    pass\nexcept BaseException:\n    pass"),
    ("exec", "with open('/etc/passwd') as f:\n    pass"),
    ("eval", "__builtins__"),
    # -- names that do not exist in the sandbox
    ("eval", "getattr((), '__class__')"),
    ("eval", "vars()"),
    ("eval", "globals()['__builtins__']"),
    ("eval", "eval('1 + 1')"),
    ("eval", "compile('1', 'x', 'eval')"),
    ("eval", "open('/etc/passwd').read()"),
    ("eval", "type(1)"),
    ("eval", "[x for x in iter(int, 1)]"),
    # -- run-time guards on reachable objects
    ("eval", "'{0.__class__}'.format(1)"),
    ("eval", "'{a.__class__}'.format_map({'a': 1})"),
    ("eval", "str.mro()"),
    ("eval", "record['_values']"),
    ("exec", "try:\n    1 / 0\nexcept Exception as e:\n    t = e.with_traceback(None)"),
    ("eval", "isinstance(1, (int, Exception))"),
    ("eval", "record.update({'qty': 1})"),
    # -- denial of service: time
    ("exec", "while True:\n    pass"),
    ("exec", "while True: pass"),
    ("exec", "try:\n    while True:\n        pass\nexcept Exception:\n    pass"),
    (
        "exec",
        "x = 0\ntry:\n    while True:\n        x += 1\nfinally:\n    while True:\n        x += 1",
    ),
    ("eval", "[0 for i in range(10**5) for j in range(10**5)]"),
    ("eval", "sum(x for x in range(10**6) for y in range(100))"),
    ("exec", "for i in range(10**12):\n    pass"),
    ("eval", "sum(range(10**9))"),
    ("eval", "sorted(map(lambda x: -x, range(10**7)))"),
    ("eval", "(lambda f: f(f))(lambda f: f(f))"),
    ("exec", "def f(n):\n    return f(n + 1)\nf(0)"),
    ("exec", "while True:\n    print('x' * 1000)"),
    # -- denial of service: memory
    ("eval", "'a' * 10**10"),
    ("eval", "[0] * 10**10"),
    ("eval", "10**10**10"),
    ("eval", "2 << 10**9"),
    ("eval", "Decimal(10) ** 100000"),
    ("exec", "x = 'a'\nwhile True:\n    x = x + x"),
    ("exec", "x = 'a'\nwhile True:\n    x *= 2"),
    ("exec", "x = [1]\nwhile True:\n    x.extend(x)"),
    ("eval", "'%999999999d' % 1"),
    ("eval", "'%*d' % (10**9, 1)"),
    ("eval", "f'{1:>{10**9}}'"),
    ("eval", "'x'.ljust(10**9)"),
    ("eval", "'\\t'.expandtabs(10**9)"),
    ("eval", "'ab' * 500000 and ('ab' * 500000).replace('a', 'a' * 1000)"),
    ("eval", "'-'.join(['a' * 100000] * 100)"),
    ("eval", "'a'.encode().center(10**9)"),
    ("eval", "int('9' * 5000)"),
]


@pytest.mark.parametrize(("mode", "source"), ATTEMPTS, ids=[s for _, s in ATTEMPTS])
def test_attempt_is_refused_or_stopped(mode, source, clock_stopped):
    scope = {
        "record": RecordView({"qty": 1}),
        "user": UserView(Actor(7, "ann@example.com")),
    }
    error = outcome(mode, source, scope)
    assert isinstance(error, SandboxError), f"{source!r} ran"
    if isinstance(error, SandboxRuntimeError) and error.limit:
        assert "stopped: " in str(error) and "longer than" not in str(error)


@pytest.mark.parametrize("seconds", [1.0, 0.25])
def test_a_run_stops_at_its_time_limit(monkeypatch, seconds):
    """A loop the step budget would let run a million steps stops when its time is up: the
    clock is read every 64 steps and moves 1 ms per reading here."""
    from plinth.rules.sandbox.limits import MAX_STEPS

    clock = FakeClock(step=0.001)
    monkeypatch.setattr(budget, "time", clock)
    error = outcome("exec", "while True:\n    pass", {}, seconds=seconds)
    assert isinstance(error, SandboxRuntimeError) and error.limit
    assert f"the rule ran longer than {seconds:g} s" in str(error)
    assert clock.reads * 64 < MAX_STEPS  # the time limit, not the step budget, stopped it


def test_the_corpus_is_large_enough():
    assert len(ATTEMPTS) >= 30


def test_the_process_lives_on_and_normal_rules_still_work():
    for mode, source in ATTEMPTS:
        try:
            (evaluate if mode == "eval" else execute)(source, {"record": RecordView({})})
        except SandboxError:
            pass
    assert evaluate("qty * 2 + len(name)", {"qty": 4, "name": "abc"}) == 11


def test_budgets_hold_in_other_threads_too(clock_stopped):
    """Web requests and rq work horses run rules off the main thread: no signal-based
    timeouts, the same budgets apply, in several threads at once."""
    import concurrent.futures

    stopping = [
        ("eval", "[x for x in range(10**6) for y in range(10**6)]"),
        ("exec", "while True:\n    pass"),
        ("eval", "'a' * 10**10"),
    ]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        runs = [pool.submit(outcome, mode, source, {}) for mode, source in stopping]
        errors = [run.result() for run in runs]
    assert all(isinstance(e, SandboxRuntimeError) and e.limit for e in errors), errors
    assert ["steps" in str(e) for e in errors] == [True, True, False]
    assert "too large" in str(errors[2])
