"""One module per step of the chain; ``definitions.py`` gathers them."""
