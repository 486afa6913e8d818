"""The public exposure board (曝光台) at the canteen entrance."""
