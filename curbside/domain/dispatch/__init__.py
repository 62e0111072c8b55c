"""Collection routes for the day: the travel model, the routing problem and its solver."""
