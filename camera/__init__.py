"""Tray-return camera worker: detects food being dumped into the bin and delivers evidence to the service.

Runs as its own processes and never imports Flask.
"""
