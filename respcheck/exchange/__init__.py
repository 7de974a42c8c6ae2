"""Sending a request and keeping the exchange.

The target of a run (`target`), the httpx client and the Exchange it returns
(`client`), the deadline-bound transport (`transport`), the SSE reader
(`sse`), strict JSON (`jsonstrict`), the run-wide request slots of an xdist
run (`slots`) and the breaker that stops a run whose target went silent
(`breaker`). Nothing here knows a rule.
"""
