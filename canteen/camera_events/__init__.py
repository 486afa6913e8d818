"""Camera events delivered by the workers, their evidence files, camera heartbeats and review decisions."""
