"""Human review of camera events and the camera status page."""
