"""Lets a plain checkout run the suite with `pytest`, installed or not.

When the package is installed its pytest11 entry point (named after this
module) has already loaded the plugin, and pytest skips the duplicate.
"""

pytest_plugins = ["respcheck.plugin"]
