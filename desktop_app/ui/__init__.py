"""Qt front end: arranges widgets, starts workers, shows results. No I/O of its own."""
