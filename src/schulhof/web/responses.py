"""JSON responses rendered with orjson, for the hot read paths.

Returning a Response skips FastAPI's generic `jsonable_encoder`, which walks every value of
a 100-person page a second time; the data is plain JSON types already (views build it).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
