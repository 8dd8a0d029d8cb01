"""A delivery's claim lasts what is left of its invocation: outside Lambda (tests, `opsbot
local`) that is the TIMEOUT_S each event function declares, which must be the timeout the
packaged template gives the function."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from functions import alarms, cloudtrail, sns_inbox
from tests.deploy.test_template import ROOT, TEMPLATE


@pytest.mark.parametrize(
    ("logical_id", "function"),
    [
        ("AlarmsLambdaFunction", alarms),
        ("CloudtrailLambdaFunction", cloudtrail),
        ("SnsInboxLambdaFunction", sns_inbox),
    ],
    ids=["alarms", "cloudtrail", "sns_inbox"],
)
def test_the_timeout_a_function_declares_is_the_one_it_is_deployed_with(
    logical_id: str, function: ModuleType
) -> None:
    if not TEMPLATE.is_file():
        pytest.fail(f"{TEMPLATE.relative_to(ROOT)} is missing: run scripts/package.sh first")
    resources = json.loads(TEMPLATE.read_text())["Resources"]
    assert resources[logical_id]["Properties"]["Timeout"] == function.TIMEOUT_S
