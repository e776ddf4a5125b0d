"""First-sync timing, not a test: an identity provider provisions USERS users through /scim/v2/, one POST
each (with department, manager and title, as Entra sends them), then GROUPS groups and their members.

    createdb -h 127.0.0.1 -U postgres dc_scim_perf
    export DUECOURSE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dc_scim_perf DUECOURSE_DB_POOL=0
    duecourse migrate
    python tests/scim/perf_scim_sync.py [USERS] [GROUPS]

Requests go through the whole Django stack (middleware, authentication, the views) with Django's test
client, one after the other as a provider's sync sends them; no network. Prints users per second.
"""

import json
import os
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duecourse.config.settings")
os.environ.setdefault("DUECOURSE_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from duecourse.people.services import tenant_create  # noqa: E402
from duecourse.scim.tokens import scim_token_create  # noqa: E402

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MEMBERS_PER_PATCH = 100  # what Entra sends at most in one group PATCH


def main(users: int, groups: int) -> None:
    run = uuid.uuid4().hex[:6]
    _tenant, admin = tenant_create(name=f"SCIM perf {run}", admin_email=f"admin@{run}.test")
    _token, raw = scim_token_create(actor=admin, name="perf")
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    def send(method: str, path: str, body: dict) -> dict:
        response = getattr(client, method)(f"/scim/v2/{path}", json.dumps(body), content_type="application/scim+json")
        assert response.status_code in (200, 201, 204), response.content
        return response.json() if response.content else {}

    ids: list[str] = []
    started = time.perf_counter()
    for i in range(users):
        manager = {"manager": {"value": ids[(i - 1) // 10]}} if i else {}
        body = {
            "schemas": [USER, ENTERPRISE],
            "userName": f"user{i}@{run}.test",
            "externalId": f"ext-{i}",
            "active": True,
            "displayName": f"User {i}",
            "name": {"givenName": "User", "familyName": str(i)},
            "emails": [{"value": f"user{i}@{run}.test", "type": "work", "primary": True}],
            "title": "Operator",
            ENTERPRISE: {"department": f"Dept {i % 40}", "employeeNumber": str(i), **manager},
        }
        ids.append(send("post", "Users", body)["id"])
    user_seconds = time.perf_counter() - started

    started = time.perf_counter()
    per_group = max(users // max(groups, 1), 1)
    for g in range(groups):
        group_id = send("post", "Groups", {"schemas": [GROUP], "displayName": f"Group {g} {run}", "members": []})["id"]
        members = ids[g * per_group : (g + 1) * per_group]
        for start in range(0, len(members), MEMBERS_PER_PATCH):
            chunk = [{"value": pid} for pid in members[start : start + MEMBERS_PER_PATCH]]
            send(
                "patch",
                f"Groups/{group_id}",
                {"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": chunk}]},
            )
    group_seconds = time.perf_counter() - started
    print(
        f"{users} users in {user_seconds:.1f} s ({users / user_seconds:.0f} users/s); "
        f"{groups} groups with {per_group} members each, added {MEMBERS_PER_PATCH} per PATCH, in {group_seconds:.1f} s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 10)
