"""connectlocal: Amazon Connect's contact API, running locally, faithful to the wire."""

__version__ = "0.1.0"
