#!/usr/bin/env python3
"""Venafi's own Python client, pytpp 2.0.3, against `kfql serve` over HTTPS.

Usage: venafi_client.py https://127.0.0.1:PORT [tickets|expiry], with KFQL_USER and
KFQL_PASSWORD naming a user who may ask for
configuration:manage,delete;certificate:approve and whose identity is
local:<user>. tests/server_venafi.rs starts the server (self-signed
certificate) and runs this with the venv of tests/python/setup.sh.

`tickets` (the default) runs every ticket route; `expiry`, against a
server whose tokens live one second, lets the token expire and checks that
pytpp's automatic re-authentication gets a new one.

Every call goes through pytpp's endpoint classes and is decoded by its own
pydantic models; the script fails (non-zero exit) at the first check that
does not hold and prints "pytpp: all checks passed" at the end.
"""

import os
import sys
import time
from datetime import datetime
from urllib.parse import urlparse

from pytpp import Authenticate
from pytpp.api.api_base import InvalidResponseError
from pytpp.api.websdk.models.identity import Identity

OBJECT_DN = "\\VED\\Policy\\Certificates\\web01.example.com"
WORKFLOW_DN = "\\VED\\Policy\\Workflows\\Approval"
ERIN = "{7b3e6b0a-1c1f-4f3e-9a53-2b1d0c4e5f60}"


def check(ok, what):
    if not ok:
        raise SystemExit(f"FAILED: {what}")


def code(result):
    """pytpp types Result as a model with `code`, but its models accept
    anything (every field is Union[T, Any]): an integer stays an integer."""
    return getattr(result, "code", result)


def main():
    url = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "tickets"
    user = os.environ["KFQL_USER"]
    # pytpp takes a host (with the port) and always speaks https://{host};
    # verify_ssl=False (its default) accepts the self-signed certificate.
    api = Authenticate(
        host=urlparse(url).netloc,
        username=user,
        password=os.environ["KFQL_PASSWORD"],
        application_id="kfql-pytpp",
        scope="configuration:manage,delete;certificate:approve",
        verify_ssl=False,
    )
    sdk = api.websdk
    # A wrong password: pytpp raises, quoting the OAuth `error` (its models
    # read names ignoring case, so `error` fills its `Error` field).
    try:
        Authenticate(host=urlparse(url).netloc, username=user, password="wrong",
                     application_id="kfql-pytpp", scope="configuration")
        check(False, "a wrong password was accepted")
    except InvalidResponseError as e:
        check(e.response.status_code == 400, f"wrong password: {e.response.status_code}")
        check("invalid_grant" in str(e), f"wrong password: {e}")
    # Authenticate called /vedauth/Authorize/OAuth and then
    # /vedsdk/SystemStatus/Version, which it parses as a version number.
    check(sdk._oauth.token_type == "Bearer", f"token_type {sdk._oauth.token_type!r}")
    check(isinstance(sdk._oauth.expires, datetime), f"expires {sdk._oauth.expires!r}")
    check(isinstance(sdk._oauth.refresh_until, datetime), "refresh_until")
    check(sdk._oauth.expires < sdk._oauth.refresh_until, "expires before refresh_until")
    check(sdk._oauth.identity == f"local:{user}", f"identity {sdk._oauth.identity!r}")
    check(sdk._token.startswith("Bearer "), "the token goes out as a Bearer header")
    check(sdk.tpp_version.major >= 20, f"version {sdk.tpp_version}")

    ticket = sdk.Workflow.Ticket
    if mode == "expiry":
        first = sdk._oauth.access_token
        time.sleep(1.5)
        # The 401 makes pytpp re-authenticate and retry the call.
        missing = "{00000000-0000-4000-8000-000000000000}"
        check(code(ticket.Exists.post(missing).result) == 3, "Exists after expiry")
        check(sdk._oauth.access_token != first, "a new access token after expiry")
        print("pytpp: all checks passed")
        return

    # The identity shapes pytpp sends: its Identity model dumped by alias
    # without None values, from a bare PrefixedName, Prefix + Name, or a
    # whole identity as Identity.Browse would return it.
    approvers = [
        Identity(prefixed_name=f"local:{user}"),
        Identity(prefix="AD+corp", name="dave"),
        Identity(
            full_name="Erin Example",
            is_container=False,
            is_group=False,
            name="erin",
            prefix="local",
            prefixed_name="local:erin",
            prefixed_universal=f"local:{ERIN}",
            type=1,
            universal=ERIN,
        ),
    ]
    created = ticket.Create.post(
        object_dn=OBJECT_DN,
        approvers=approvers,
        reason="12",  # pytpp types Reason as a string
        workflow_dn=WORKFLOW_DN,
        user_data="pytpp",
    )
    check(created.is_valid_response(), f"Create: {created.api_response.text}")
    check(code(created.result) == 1, f"Create Result {created.result!r}")
    guid = created.guid
    check(guid.startswith("{") and guid.endswith("}"), f"GUID {guid}")
    # user_data=None is left out of the body by pytpp.
    second = ticket.Create.post(
        object_dn=OBJECT_DN + "2", approvers=[Identity(prefixed_name=f"local:{user}")],
        reason=7, workflow_dn=WORKFLOW_DN,
    )
    check(code(second.result) == 1, f"second Create: {second.api_response.text}")

    details = ticket.Details.post(guid)
    check(code(details.result) == 1, "Details Result")
    check(details.approvers == [f"local:{user}", "AD+corp:dave", f"local:{ERIN}"],
          f"Approvers {details.approvers!r}")
    check(details.status == "Pending", f"Status {details.status!r}")
    check(details.blocking == OBJECT_DN, f"Blocking {details.blocking!r}")
    check(details.issued_due_to == WORKFLOW_DN, f"IssuedDueTo {details.issued_due_to!r}")
    check(isinstance(details.created, datetime) and details.created.tzinfo is not None,
          f"Created {details.created!r}")
    check(details.updated == details.created, "Updated equals Created at first")

    status = ticket.Status.post(guid)
    check((status.status, code(status.result)) == ("Pending", 1), f"Status {status!r}")
    check(code(ticket.Exists.post(guid).result) == 1, "Exists")
    missing = "{00000000-0000-4000-8000-000000000000}"
    check(code(ticket.Exists.post(missing).result) == 3, "Exists of an unknown GUID")
    check(code(ticket.Details.post(missing).result) == 3, "Details of an unknown GUID")

    listed = ticket.Enumerate.post(object_dn=OBJECT_DN.upper())
    check(listed.guids == [guid] and code(listed.result) == 1, f"Enumerate {listed.guids!r}")
    listed = ticket.Enumerate.post(user_data="pytpp")
    check(listed.guids == [guid], f"Enumerate by UserData {listed.guids!r}")

    # A datetime goes out as Python's isoformat() (naive: no offset).
    updated = ticket.UpdateStatus.post(
        guid, status="Approved After", explanation="after the freeze",
        scheduled_start=datetime(2030, 1, 2, 3, 4, 5),
    )
    check(code(updated.result) == 1, f"UpdateStatus: {updated.api_response.text}")
    after = ticket.Details.post(guid)
    check(after.status == "Approved After", f"Status after update {after.status!r}")
    check(after.updated > after.created, "Updated moves on a status change")
    check(after.approval_explanation == "after the freeze", "ApprovalExplanation")
    bad = ticket.UpdateStatus.post(guid, status="Approved Between")
    check(code(bad.result) == 5, "Approved Between without a schedule is BadArguments")

    deleted = ticket.Delete.post(second.guid)
    check(code(deleted.result) == 1, "Delete")
    check(code(ticket.Exists.post(second.guid).result) == 3, "Exists after Delete")

    sdk.Revoke.Token.get().assert_valid_response()
    try:
        ticket.Exists.post(guid)
        check(False, "a revoked token still works")
    except InvalidResponseError as e:
        check(e.response.status_code == 401, f"after revoke: {e.response.status_code}")
        check("Error" in e.response.json(), "401 body has Error")

    print("pytpp: all checks passed")


if __name__ == "__main__":
    main()
