"""The console adapter: samskap in a terminal, with simulated members and no account anywhere."""
