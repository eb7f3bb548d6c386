"""Running the real `schulhof` console script, as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SCHULHOF = str(Path(sys.executable).parent / "schulhof")


def run(db_url: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCHULHOF_DB": db_url, "COLUMNS": "200"}
    return subprocess.run(
        [SCHULHOF, *args],
        env=env,
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
        check=False,
    )


def run_json(db_url: str, *args: str) -> Any:
    done = run(db_url, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
