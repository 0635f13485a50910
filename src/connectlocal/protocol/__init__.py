"""The rest-json protocol of Amazon Connect, derived from the service model at start-up."""
