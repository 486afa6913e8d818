"""The validated sections of ``config.yaml``, one module per feature, composed by ``canteen.config``.

They live here rather than in their features so that ``canteen.config`` (imported by nearly every module and
by the camera worker) depends on no feature package.
"""
