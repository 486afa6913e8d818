"""Reports: the monthly charts and report documents, and the scheduler process that produces them.

The two reporting homes split as follows:

- ``reports`` (this package, importable without a web request): the figures behind charts and reports
  (``data``, ``trends``, ``sources``), the charts (``charts``), the report documents as HTML and PDF
  (``monthly``, ``render``, ``service``, ``storage``), the scheduled jobs and the scheduler process
  (``jobs``, ``scheduler``), its CLI, settings and tables. It never registers a page.
- ``canteen.reporting``: the Flask pages that show this work (the dashboard, the list of stored reports,
  the job runs); it calls into this package and holds no report logic of its own.

The ledger's numbers themselves come from ``canteen.ledger.figures``; nothing here sums waste entries.
"""
