"""The SIP edge: holds trunk registrations on customers' PBXs (and, later, takes their calls).

`supervisor.py` runs the control loop and the worker processes; `worker.py` is one pjsua2
process; `sip/` has the thin pjsua2 subclasses; `registration.py` decides when to register and
what to report, without pjsua2, so it can be tested on its own.
"""
