"""The HTTP door: an HTTP/1.1 protocol on uvloop and httptools over the dispatcher, and the
admin endpoints."""
