"""The budgets every sandboxed run gets."""

MAX_STEPS = 1_000_000  # line events in sandboxed frames
MAX_SECONDS = 1.0  # wall clock
MAX_DEPTH = 64  # nested sandboxed calls
MAX_SIZE = 1_000_000  # elements of one str/bytes/list/tuple/range built by the code
MAX_ALLOCATED = 20_000_000  # elements built by size-guarded operations in one run
MAX_INT_BITS = 1_000_000  # bits of an integer result
MAX_FORMAT_WIDTH = 10_000  # width/precision in format specs and % formatting
MAX_HELPER_CALLS = 100  # lookup/query/count calls (database reads) in one run
MAX_QUERY_LIMIT = 200  # rows one query() may return
MAX_SOURCE = 50_000  # characters of source code
