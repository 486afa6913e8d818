"""Random spot checks of the caterer: the recorded draw, check records, re-weighs and rectifications."""
