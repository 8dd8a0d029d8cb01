"""`/ddb replicas` rendering, compared with golden files in tests/golden/replicas/."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.replicas import GlobalTable, ReplicaHealth, ReplicationLag
from bot.render.replicas import METRICS_UNAVAILABLE, render_replicas
from tests.golden import assert_golden

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

THREE_REGIONS_ONE_LAGGING = GlobalTable(
    name="orders",
    source_region="us-west-2",
    version="2019.11.21",
    replicas=(
        ReplicaHealth(
            "us-west-2", "ACTIVE", table_class="STANDARD", indexes=("by-customer",), is_source=True
        ),
        ReplicaHealth("eu-west-1", "ACTIVE", indexes=("by-customer",)),
        ReplicaHealth("us-east-1", "ACTIVE", table_class="STANDARD", indexes=("by-customer",)),
    ),
    lags=(
        ReplicationLag("us-west-2", "eu-west-1", 95_000.0, 120_000.0),
        ReplicationLag("us-west-2", "us-east-1", 850.0, 1400.0),
        ReplicationLag("eu-west-1", "us-west-2", 400.0, 400.0),
        ReplicationLag("eu-west-1", "us-east-1"),
    ),
)

LEGACY = GlobalTable(
    name="carts",
    source_region="us-east-1",
    version="2017.11.29",
    replicas=(
        ReplicaHealth("us-east-1", "ACTIVE", is_source=True),
        ReplicaHealth("eu-west-1", "UPDATING"),
    ),
    lags=(ReplicationLag("us-east-1", "eu-west-1", 1200.0, 2500.0, 7),),
)

NOT_GLOBAL = GlobalTable(
    name="audit",
    source_region="us-west-2",
    version="",
    replicas=(ReplicaHealth("us-west-2", "ACTIVE", is_source=True),),
)

NOT_GLOBAL_EMBEDDED = GlobalTable(
    name="cloudacademy-courses",
    source_region="us-west-2",
    version="",
    replicas=(ReplicaHealth("us-west-2", "ACTIVE", is_source=True),),
    legacy_checked=False,
)

METRICS_UNAVAILABLE_HERE = GlobalTable(
    name="orders",
    source_region="us-west-2",
    version="2019.11.21",
    replicas=(
        ReplicaHealth("us-west-2", "ACTIVE", is_source=True),
        ReplicaHealth(
            "ap-south-1",
            "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
            status_description="<!channel> KMS key <http://evil|disabled> & gone",
        ),
    ),
    metrics_available=False,
)

CASES = {
    "three-regions-one-lagging": THREE_REGIONS_ONE_LAGGING,
    "legacy-2017-with-pending": LEGACY,
    "not-global": NOT_GLOBAL,
    "not-global-legacy-unchecked": NOT_GLOBAL_EMBEDDED,
    "metrics-unavailable-hostile-description": METRICS_UNAVAILABLE_HERE,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_replicas_match_their_golden_file(case: str) -> None:
    message = render_replicas(CASES[case], NOW, other_regions=("us-west-2", "us-east-1"))
    assert_golden("replicas", case, message.as_args())


@pytest.mark.parametrize("table", [THREE_REGIONS_ONE_LAGGING, NOT_GLOBAL], ids=["global", "not"])
def test_the_header_names_the_account_when_accounts_are_configured(table: GlobalTable) -> None:
    labelled = render_replicas(table, NOW, account_label="payments-prod")
    plain = render_replicas(table, NOW)
    title = labelled.as_args()["blocks"][0]["text"]["text"]
    assert title.startswith(f"{table.name} — payments-prod — ")
    assert plain.as_args()["blocks"][0]["text"]["text"] == title.replace(" — payments-prod", "")


def test_lagging_replica_is_marked_and_named_in_the_fallback_text() -> None:
    message = render_replicas(THREE_REGIONS_ONE_LAGGING, NOW)
    text = json.dumps(message.as_args())
    assert "lagging: eu-west-1" in message.text
    assert text.count(":rotating_light: *lagging*") == 1
    assert "lag 1.6 min now" not in text  # minutes are written as min + s
    assert "lag 1 min 35 s now" in text


def test_not_global_says_how_to_make_one_in_another_configured_region() -> None:
    message = render_replicas(NOT_GLOBAL, NOW, other_regions=("us-west-2", "eu-central-1"))
    text = json.dumps(message.as_args())
    assert "not a global table" in message.text
    assert "--replica-updates" in text
    assert "eu-central-1" in text
    assert "Create replica" in text


def test_metrics_unavailable_is_said_and_no_lag_is_invented() -> None:
    message = render_replicas(METRICS_UNAVAILABLE_HERE, NOW)
    text = json.dumps(message.as_args())
    assert METRICS_UNAVAILABLE in text
    assert " now," not in text
    assert "max in 1 h" not in text
    assert "replica metrics unavailable here" in message.text


def test_aws_supplied_text_is_escaped() -> None:
    text = json.dumps(render_replicas(METRICS_UNAVAILABLE_HERE, NOW).as_args())
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "<http://evil" not in text
