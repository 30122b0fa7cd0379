"""Background jobs: rq on Redis when PLINTH_REDIS_URL is set, in-process otherwise."""
