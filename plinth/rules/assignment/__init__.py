"""Assignment rules: who gets a record (fixed, round robin, load balancing, copied from a
related record, or the best scored match), or which pool of candidates may claim it."""
