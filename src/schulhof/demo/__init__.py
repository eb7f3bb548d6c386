"""The demo city: a generated authority for trying Schulhof. Never used for real data.

Rule: generating is pure and deterministic (a seeded `random.Random`); the only I/O is
writing the generated city as a OneRoster package. Nothing here touches the directory:
the `schulhof demo` command imports the package through the ordinary import pipeline.
"""
