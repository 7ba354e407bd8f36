"""Contract testing for the fakes, the reference clients and real sandboxes.

- ``view``: the per-operation view of each vendor's wire document (bundled from the contracts):
  one operation per QuoParts method, credentials as parameters, the selecting query fixed;
- ``schema``: that view loaded by Schemathesis; ``APIOperation.as_strategy()`` generates positive
  and negative requests from it.
- ``dispatch``: the one place that maps a case of the view to the real request
  (``x-fuzz-real-request``), and a real request back to its operation.
- ``checks``: checks every vendor shares (registered with ``@schemathesis.check``);
  ``quoting``: how a check or a plug-in quotes an answer (secrets blotted out, then cut).
- ``target`` / ``runner``: send generated cases to a base URL (in-process or over the network)
  and run the checks (``deadline``: each call's time limit); ``suite``: the in-process pytest
  suites; ``harness``: ``mockservers fuzz`` (``recording``: the run's secrets and its HAR).
- ``capture`` / ``stateful``: record a client's exchanges and check them against the contracts;
  the base of the model-based state machines.
- ``profiles``: Hypothesis settings, ``ci`` (default) or ``deep`` (``FUZZ_PROFILE=deep``).
- ``plugins/<vendor>/``: what is vendor-specific (credentials, vendor-aware check, model, machine).
"""
