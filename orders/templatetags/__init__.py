"""Template tags of the orders app."""
