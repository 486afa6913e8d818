"""Web pages for reports: the dashboard, the stored monthly reports and the scheduler's job runs.

The work is done by the top-level ``reports`` package; this package only serves it.
"""
