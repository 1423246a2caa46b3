"""The daemon: wires the clock, the control socket and the protocol cores."""
