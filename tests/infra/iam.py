"""A small static reading of IAM policies in synthesized templates, enough to ask "may this
role do that action on that ARN?" (Allow statements only; the stacks write no Deny)."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Iterator

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
          "AWS::URLSuffix": "amazonaws.com"}


def render(value: Any) -> str:
    """Intrinsics to a string: pseudo parameters become sample values, references markers."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            return PSEUDO.get(arg, f"<Ref {arg}>")
        if fn == "Fn::Join":
            separator, parts = arg
            return separator.join(render(p) for p in parts)
        if fn == "Fn::GetAtt":
            return f"<GetAtt {'.'.join(arg) if isinstance(arg, list) else arg}>"
        if fn == "Fn::ImportValue":
            return f"<Import {render(arg)}>"
        if fn == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            for name, sample in PSEUDO.items():
                text = text.replace("${" + name + "}", sample)
            return text
    return f"<{value}>"


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(template: dict) -> Iterator[tuple[str, dict, list[str]]]:
    """(policy logical id, statement, logical ids of the roles it is attached to)."""
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = [r.get("Ref") for r in props.get("Roles", []) if isinstance(r, dict)]
            for statement in as_list(props["PolicyDocument"]["Statement"]):
                yield logical_id, statement, roles
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in as_list(policy["PolicyDocument"]["Statement"]):
                    yield logical_id, statement, [logical_id]


def allowed(template: dict, role_id: str, action: str, resource: str) -> bool:
    for _, statement, roles in statements(template):
        if role_id not in roles or statement.get("Effect") != "Allow":
            continue
        if not any(fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["Action"])):
            continue
        if any(fnmatchcase(resource, render(r)) for r in as_list(statement.get("Resource", []))):
            return True
    return False
