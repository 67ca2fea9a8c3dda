"""One router per resource; `ROUTERS` is what the app includes."""
