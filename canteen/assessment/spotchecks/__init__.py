"""Random spot checks of the caterer: the recorded draw, check records, re-weighs and rectifications.

Spot checks are part of the caterer assessment, not a feature beside it: they are scored against the same
versioned sheet, written to the same audit trail and evidence store, and a month's assessment cites them as
evidence (re-weigh proposals, deductions by check). So they live inside ``canteen.assessment``; modules of
the two import each other only one way per module pair (no module-level cycle), and the sub-package keeps its
own ``feature.init_app`` for its pages, API and commands.
"""
