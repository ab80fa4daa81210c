"""`mesocare fhir client`: registering, listing and deactivating SMART clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command

from mesocare.fhir.bulk.models import SmartClient

pytestmark = pytest.mark.django_db


def test_register_list_and_deactivate(
    clinic: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "one"}]}))
    call_command(
        "smart_client", "register", "--org=alpha", "--user=admin@alpha.test",
        "--name=Registry", f"--jwks={path}", "--reads-as=auditor@alpha.test",
    )  # fmt: skip
    client = SmartClient.objects.get()
    assert f"client_id: {client.client_id}" in capsys.readouterr().out
    assert client.membership.role == "auditor" and client.jwks["keys"][0]["alg"] == "ES384"
    call_command("smart_client", "list", "--org=alpha")
    assert "reads as auditor@alpha.test  active" in capsys.readouterr().out
    call_command(
        "smart_client", "deactivate", client.client_id, "--org=alpha", "--user=admin@alpha.test"
    )
    client.refresh_from_db()
    assert not client.is_active
    path.write_text("not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command(
            "smart_client", "register", "--org=alpha", "--user=admin@alpha.test",
            "--name=X", f"--jwks={path}",
        )  # fmt: skip
    with pytest.raises(CommandError, match="Forbidden|may not|permission"):
        call_command(
            "smart_client", "register", "--org=alpha", "--user=reception@alpha.test",
            "--name=X", f"--jwks={path}",
        )  # fmt: skip
