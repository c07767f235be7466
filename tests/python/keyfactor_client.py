"""Keyfactor's own generated client (keyfactor-v-1-client 1.0.3) against
`kfql serve` in `--status-format integer` mode.

Run by tests/server_keyfactor.rs, which starts the server and checks what
this prints against kfql's in-memory evaluator:

    KFQL_URL=http://127.0.0.1:PORT/KeyfactorAPI KFQL_USER='DOMAIN\\user' \
    KFQL_PASSWORD=... KFQL_QUERY='Status -eq 3' python keyfactor_client.py

Every call goes through the client's `*_detailed` functions (the others
drop the headers) and every instance is decoded into the client's models;
a decoding failure is a traceback and exit status 1. Output: one JSON
object per line, `{"call": ..., "ids": [...], "total": N}` or the like.
"""

import base64
import datetime
import enum
import json
import os
import sys

from keyfactor_v_1_client import AuthenticatedClient
from keyfactor_v_1_client.api.workflow_instance import (
    workflow_instance_get,
    workflow_instance_query,
    workflow_instance_query_instances_started_by_me,
)
from keyfactor_v_1_client.models.keyfactor_api_models_workflows_instance_query_response import (
    KeyfactorApiModelsWorkflowsInstanceQueryResponse,
)
from keyfactor_v_1_client.models.keyfactor_api_models_workflows_instance_response import (
    KeyfactorApiModelsWorkflowsInstanceResponse,
)
from keyfactor_v_1_client.models.workflow_instance_query_instances_started_by_me_instance_query_sort_ascending import (
    WorkflowInstanceQueryInstancesStartedByMeInstanceQuerySortAscending as MySortAscending,
)
from keyfactor_v_1_client.models.workflow_instance_query_pq_sort_ascending import (
    WorkflowInstanceQueryPqSortAscending as SortAscending,
)
from keyfactor_v_1_client.types import Unset


def emit(**fields):
    print(json.dumps(fields), flush=True)


def check_instance(item, model):
    """Every field the server sent was decoded into the model's types."""
    assert isinstance(item, model), type(item)
    assert isinstance(item.id, str) and len(item.id) == 36, item.id
    # The client's Status enums are IntEnums of 0-6 (one class per model).
    assert isinstance(item.status, enum.IntEnum), repr(item.status)
    assert isinstance(item.reference_id, int), item.reference_id
    for t in (item.start_date, item.last_modified):
        assert isinstance(t, (Unset, datetime.datetime)), repr(t)
        if isinstance(t, datetime.datetime):
            assert t.utcoffset() == datetime.timedelta(0), t
    if not isinstance(item.definition, Unset):
        assert isinstance(item.definition.id, (Unset, str)), item.definition
        assert isinstance(item.definition.version, (Unset, int)), item.definition
    return item


def total_of(response):
    value = response.headers.get("x-total-count")
    assert value is not None, dict(response.headers)
    return int(value)


def main():
    url = os.environ["KFQL_URL"]
    user = os.environ["KFQL_USER"]
    password = os.environ["KFQL_PASSWORD"]
    query = os.environ.get("KFQL_QUERY", "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    client = AuthenticatedClient(base_url=url, token=token, prefix="Basic", timeout=60.0)

    # One page, sorted descending by StartDate.
    r = workflow_instance_query.sync_detailed(
        client=client,
        pq_query_string=query,
        pq_page_returned=2,
        pq_return_limit=5,
        pq_sort_field="StartDate",
        pq_sort_ascending=SortAscending.VALUE_1,
    )
    assert r.status_code == 200, (r.status_code, r.content)
    items = [check_instance(i, KeyfactorApiModelsWorkflowsInstanceQueryResponse) for i in r.parsed]
    emit(
        call="page",
        ids=[i.id for i in items],
        total=total_of(r),
        statuses=[int(i.status) for i in items],
        extra=sorted({k for i in items for k in i.additional_keys}),
    )

    # Every page, ascending by ReferenceId, 7 at a time, until one is empty.
    ids, page = [], 1
    while True:
        r = workflow_instance_query.sync_detailed(
            client=client,
            pq_query_string=query,
            pq_page_returned=page,
            pq_return_limit=7,
            pq_sort_field="ReferenceId",
            pq_sort_ascending=SortAscending.VALUE_0,
        )
        assert r.status_code == 200, (r.status_code, r.content)
        items = [check_instance(i, KeyfactorApiModelsWorkflowsInstanceQueryResponse) for i in r.parsed]
        if not items:
            break
        ids.extend(i.id for i in items)
        total = total_of(r)
        page += 1
    emit(call="all", ids=ids, total=total, pages=page - 1)

    # The client's defaults (no parameters at all).
    r = workflow_instance_query.sync_detailed(client=client)
    assert r.status_code == 200, (r.status_code, r.content)
    items = [check_instance(i, KeyfactorApiModelsWorkflowsInstanceQueryResponse) for i in r.parsed]
    emit(call="defaults", ids=[i.id for i in items], total=total_of(r))

    # /My: the client sends instanceQuery.* parameters.
    r = workflow_instance_query_instances_started_by_me.sync_detailed(
        client=client,
        instance_query_query_string=query,
        instance_query_return_limit=1000,
        instance_query_sort_field="ReferenceId",
        instance_query_sort_ascending=MySortAscending.VALUE_0,
    )
    assert r.status_code == 200, (r.status_code, r.content)
    items = [check_instance(i, KeyfactorApiModelsWorkflowsInstanceQueryResponse) for i in r.parsed]
    emit(call="my", ids=[i.id for i in items], total=total_of(r))

    # /{id}, for the first instance of the last listing, and an absent one.
    first = ids[0]
    r = workflow_instance_get.sync_detailed(first, client=client)
    assert r.status_code == 200, (r.status_code, r.content)
    one = check_instance(r.parsed, KeyfactorApiModelsWorkflowsInstanceResponse)
    emit(call="get", id=one.id, status=int(one.status), reference_id=one.reference_id)
    r = workflow_instance_get.sync_detailed("00000000-0000-0000-0000-0000000000ff", client=client)
    emit(call="missing", status=r.status_code, parsed=r.parsed is None, body=json.loads(r.content))

    # A bad query: 400, which the client does not parse; the body is ours.
    r = workflow_instance_query.sync_detailed(client=client, pq_query_string='Title -equals "x"')
    emit(call="bad", status=r.status_code, parsed=r.parsed is None, body=json.loads(r.content))

    # Wrong credentials.
    bad = AuthenticatedClient(
        base_url=url, token=base64.b64encode(b"x:y").decode(), prefix="Basic", timeout=60.0
    )
    r = workflow_instance_query.sync_detailed(client=bad)
    emit(call="unauthorized", status=r.status_code, challenge=r.headers.get("www-authenticate"))


if __name__ == "__main__":
    try:
        main()
    except Exception:
        import traceback

        traceback.print_exc()
        sys.exit(1)
