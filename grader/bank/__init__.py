"""The problem bank: problem families, sets and rosters, loaded and validated."""
