"""The audit feature: ``canteen verify`` (re-computing every history chain), its nightly run, and the audit
page listing who changed what, when, for admins and the discipline office."""
