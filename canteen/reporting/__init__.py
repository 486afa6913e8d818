"""Web pages for reports: the dashboard, the stored monthly reports and the scheduler's job runs.

The two reporting homes split as follows:

- ``canteen.reporting`` (this package): the Flask pages only, the dashboard (``dashboard`` gathers its
  figures), the list of stored reports with their files, and the job runs.
- ``reports`` (top-level package): the charts, the report documents and the scheduler process, which run
  without a web request; this package calls into it and holds no report logic of its own.

Every ledger total shown here comes from ``canteen.ledger.figures``.
"""
