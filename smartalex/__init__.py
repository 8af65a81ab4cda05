"""SmartAlex native extension mode: the domain core shared by the control plane and the edge.

`domain/` and `service_layer/` import no AWS or SIP library; `adapters/` holds the
DynamoDB, SQS and Secrets Manager implementations of the ports the service layer uses.
"""
