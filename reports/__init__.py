"""Monthly charts and reports, the dashboard's figures and the scheduler process."""
