"""Metric definitions, one per metric, as the Administrator Guide's metrics definitions pages
give them: real-time ones (``current``) over agents' states and waiting contacts, historical
ones (``historical``) as aggregates the store computes over its contacts' facts."""
