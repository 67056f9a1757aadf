"""Hooks for the schemathesis runs of test/api/schemathesis.test.ts (loaded through SCHEMATHESIS_HOOKS).

Each one keeps a call from doing one known thing, and says why; nothing else is changed.
"""

import os
import schemathesis

# The run's own user: CLUSTERHUB_ST_SELF_ID, set by the test.
SELF_ID = os.environ.get("CLUSTERHUB_ST_SELF_ID", "")
# A user id that never exists.
NOBODY = "00000000-0000-0000-0000-000000000000"


@schemathesis.hook
def before_call(context, case, kwargs):
    # PATCH /users/{the run's own id} with a password resets it and ends every session of the
    # account, the run's own among them, so the rest of the run would only get 401. The fuzzer
    # learns that id from /auth/me and /users; such a call goes to a user that does not exist.
    if case.method.upper() == "PATCH" and case.path == "/api/v1/users/{id}" and SELF_ID:
        if (case.path_parameters or {}).get("id") == SELF_ID:
            case.path_parameters["id"] = NOBODY
