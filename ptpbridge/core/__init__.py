"""Sans-IO protocol cores: bytes, kernel timestamps and `now` in, actions out.

Cores never import ptpbridge.io or ptpbridge.daemon, never read a clock and
never touch a socket; that is what lets them run under a deterministic
simulated network in tests.
"""
