"""Running the whole system on one machine: local AWS endpoint, API, queue pumps, edge, test PBX.

Development tooling only; nothing here is deployed.
"""
