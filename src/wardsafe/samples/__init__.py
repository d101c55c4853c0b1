"""Small CC0 sample photo and clip that `make run` redacts (see SOURCE.md)."""
