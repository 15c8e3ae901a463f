"""Benchmarks: latency, throughput against bare Bolt, check-in dispatch under Slack's rate limits, memory
and growth, measured through the real HTTP server. Run ``python -m bench.run`` (see bench/README.md)."""
