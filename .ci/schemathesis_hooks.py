"""Schemathesis hooks of .ci/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

`DELETE /api/v1/tokens/{id}` revokes one of the caller's tokens. Left free, schemathesis would
soon try the id of the very token it runs with (ids are small integers), and every later
request of the run would be a 401: documented, so no check would fail, and the run would test
nothing more. The one case that names the run's own token (MUTUALIS_RUN_TOKEN_ID) is therefore
never generated; every other id is, other tokens of the user included. .ci/schemathesis.sh
checks after the run that its token still answers.
"""

import os
import re

import schemathesis

RUN_TOKEN_ID = int(os.environ["MUTUALIS_RUN_TOKEN_ID"])


def names_run_token(value):
    """Whether a path segment reads as the run token's id as the server parses an i64."""
    text = str(value)
    return re.fullmatch(r"[+-]?[0-9]+", text) is not None and int(text) == RUN_TOKEN_ID


@schemathesis.hook
def filter_case(context, case):
    if case.method.upper() == "DELETE" and case.path == "/api/v1/tokens/{id}":
        return not names_run_token((case.path_parameters or {}).get("id"))
    return True
