"""Real clients as a verdict: each answer of a case is handed to a real SDK
the way a user meets it, and what the SDK makes of it is compared with what
the suite read. `registry` names the clients, `replay` turns an exchange into
what a client is handed, `python_openai` / `python_auriko` (and the Node
module, `node`) produce the SDK's view, `reading` the suite's own, `verdict`
compares them, `judge` does it for a whole case."""
