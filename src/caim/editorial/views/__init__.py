"""The editorial area's views: thin, each parses input, calls one action and renders (SPEC §3)."""
