"""The edge runs the built-in receptionist as an agent: a process of its own without the edge's
AWS identity (edge/receptionist_process.py)."""

from edge.receptionist_process import agent_environment


def test_the_receptionist_gets_the_environment_without_any_aws_identity():
    edge = {"PATH": "/usr/bin", "SMARTALEX_STAGE": "dev", "AWS_ACCESS_KEY_ID": "AKIA...",
            "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    assert agent_environment(edge) == {"PATH": "/usr/bin", "SMARTALEX_STAGE": "dev"}
