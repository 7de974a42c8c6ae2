"""Running cases: from a pytest item to its checked exchanges.

`items` are the pytest items a case file becomes; `runner` runs one case
(requests in order, checks on each exchange); `scheduler` runs cases ahead
of pytest, N at once, reporting in order; `discover` and `onboarding` make
the items of a --discover run from the target's model directory.
"""
