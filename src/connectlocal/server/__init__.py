"""The HTTP door: an ASGI app over the dispatcher, served by uvicorn."""
