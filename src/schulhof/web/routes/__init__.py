"""One router per resource; `web/app.py` lists them."""
