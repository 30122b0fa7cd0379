"""The budgets every sandboxed run gets."""

MAX_STEPS = 1_000_000  # loop iterations, calls and elements gone through by built-ins
MAX_SECONDS = 1.0  # processor time of the running thread (see budget.py)
MAX_TRIAL_SECONDS = 0.25  # processor time of the trial run when a rule is saved
MAX_READ_SECONDS = 2.0  # processor time shared by all formulas computed for one read
MAX_DEPTH = 64  # nested sandboxed calls
MAX_SIZE = 1_000_000  # elements of one str/bytes/list/tuple/range built by the code
MAX_ALLOCATED = 20_000_000  # elements built by size-guarded operations in one run
# Integers and decimal digits are kept small enough that one operation on them (division,
# gcd, int <-> text or Decimal conversions are quadratic) costs microseconds, not seconds.
MAX_INT_BITS = 4_096  # bits of an integer result
MAX_DIGITS = 1_000  # digits of a number converted between text, Decimal and int
MAX_FORMAT_WIDTH = 10_000  # width/precision in format specs and % formatting
MAX_HELPER_CALLS = 100  # lookup/query/count calls (database reads) in one run
MAX_QUERY_LIMIT = 200  # rows one query() may return
MAX_SOURCE = 50_000  # characters of source code
TEXT_PER_STEP = 16  # characters a built-in goes through for one step
HASH_STEPS = 4  # steps to insert one key into a set or dict (hashing, probing, resizing)
