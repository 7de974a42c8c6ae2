"""The case model: case and profile files read into validated objects.

YAML with line numbers (`yamlfile`), cases and their steps (`case`), the
values cases may use (`casedata`, `templating`, `jsonpath`), matchers and their
up-front checks (`matchers`, `expect_check`), target profiles and what they
may name (`profile`, `profile_check`, `catalogue`), readable schema errors
(`schema_hints`). Nothing here sends a request.
"""
