"""The ``baseline`` method: the plain environment and algorithm, no shaping.

It is the reference every method is compared with, in the same sweep and budget.
"""

from langreward.baseline.plugin import METHOD, BaselineSettings, build

__all__ = ["METHOD", "BaselineSettings", "build"]
