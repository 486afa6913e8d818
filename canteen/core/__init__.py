"""The shared kernel: errors, parsing, tabular files, permissions, locales, menu and time helpers.

It sits below every feature and imports none of them (nor the ORM models), so any feature may use it.
"""
