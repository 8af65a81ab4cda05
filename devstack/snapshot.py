"""What `make run` keeps across restarts on the embedded moto server, which holds everything in
memory: the items of every table and the trunks' and agents' secrets, saved to
`.state/aws-<stage>.json` every `SAVE_EVERY_SECONDS` and when the stack stops (after the edge
has handed its leases back), and put back into the fresh server at the next start.

Secret values are encrypted in the file with a key of their own (`.state/snapshot-key`, like
the file readable by this user only), so the file alone reveals no SIP password. `make reset`
deletes both and the next `make run` starts empty. LocalStack keeps (or not) its own state.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .state import STATE_DIR, _private_file

SAVE_EVERY_SECONDS = 30
VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    """The tables and secrets of one stack, and where they are saved."""

    tables: tuple[str, ...]
    secret_prefix: str  # trunk passwords and agents' signing secrets share it (adapters/secrets.py)
    file: Path
    key_file: Path
    kms_key_id: str | None = None  # what restored secrets are encrypted with in the endpoint

    @classmethod
    def of_this_stack(cls) -> "Snapshot":
        from smartalex.adapters import names
        from smartalex.adapters.dynamodb.schema import table_specs

        return cls(tables=tuple(spec.table_name for spec in table_specs()),
                   secret_prefix=f"{names.secret_prefix()}/",
                   file=STATE_DIR / f"aws-{names.stage()}.json",
                   key_file=STATE_DIR / "snapshot-key", kms_key_id=names.secrets_kms_key())

    def _fernet(self) -> Fernet:
        return Fernet(_private_file(self.key_file,
                                    lambda: Fernet.generate_key().decode()).encode())

    def save(self) -> int:
        """Write the snapshot (atomically); returns how many items and secrets it holds."""
        from smartalex.adapters import aws

        dynamodb, secretsmanager = aws.client("dynamodb"), aws.client("secretsmanager")
        fernet = self._fernet()
        tables = {}
        for table in self.tables:
            items = []
            for page in dynamodb.get_paginator("scan").paginate(TableName=table,
                                                                 ConsistentRead=True):
                items.extend(page["Items"])
            tables[table] = items
        secrets = {}
        for page in secretsmanager.get_paginator("list_secrets").paginate():
            for entry in page["SecretList"]:
                name = entry["Name"]
                if name.startswith(self.secret_prefix) and not entry.get("DeletedDate"):
                    value = secretsmanager.get_secret_value(SecretId=name)["SecretString"]
                    secrets[name] = fernet.encrypt(value.encode()).decode()
        scratch = self.file.with_suffix(".tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"version": VERSION, "tables": tables, "secrets": secrets}, out)
        scratch.replace(self.file)
        return sum(map(len, tables.values())) + len(secrets)

    def restore(self) -> int:
        """Put a snapshot back into empty tables (after `provision`); returns how many items
        and secrets it restored (0 without a snapshot). A snapshot that cannot be read is set
        aside, not half-restored."""
        from smartalex.adapters import aws

        if not self.file.exists():
            return 0
        try:
            snapshot = json.loads(self.file.read_text())
            if snapshot.get("version") != VERSION:
                raise ValueError(f"version {snapshot.get('version')!r}, expected {VERSION}")
            fernet = self._fernet()
            secrets = {name: fernet.decrypt(value.encode()).decode()
                       for name, value in snapshot["secrets"].items()}
        except (OSError, ValueError, KeyError, AttributeError, InvalidToken) as err:
            aside = self.file.with_suffix(".unreadable")
            self.file.replace(aside)
            print(f"The saved local state could not be read ({type(err).__name__}: {err}); it "
                  f"was moved to {aside} and the stack starts empty.", flush=True)
            return 0
        dynamodb, secretsmanager = aws.client("dynamodb"), aws.client("secretsmanager")
        count = 0
        for table, items in snapshot["tables"].items():
            if table not in self.tables:
                continue  # a table this version no longer has
            for start in range(0, len(items), 25):
                unprocessed = {table: [{"PutRequest": {"Item": item}}
                                       for item in items[start:start + 25]]}
                while unprocessed:
                    unprocessed = dynamodb.batch_write_item(RequestItems=unprocessed).get(
                        "UnprocessedItems") or None
            count += len(items)
        # Trunks saved before edge leases existed have no lease holder: edges would never find
        # them (adapters/dynamodb/leases.py).
        from smartalex.adapters.dynamodb.leases import adopt_unindexed
        from smartalex.adapters.dynamodb.models import TrunkModel

        if TrunkModel.Meta.table_name in self.tables:
            adopt_unindexed()
        key = {"KmsKeyId": self.kms_key_id} if self.kms_key_id else {}
        for name, value in secrets.items():
            secretsmanager.create_secret(Name=name, SecretString=value, **key)
            count += 1
        return count
