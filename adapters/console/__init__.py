"""The conversations in a terminal: the demo's adapter."""
