#!/usr/bin/env bash
# API fuzzing of `tambo-auth serve` with schemathesis, against the server's own
# `GET /openapi.json`, on 127.0.0.1 only (issue 14). Fails on any finding: a 5xx, a status,
# content type, body or header the document does not describe.
#
#   bash scripts/api-fuzz.sh                          # CI's short run: 100 examples per operation
#   MAX_EXAMPLES=500 bash scripts/api-fuzz.sh         # a longer run by hand
#   SEED=7 PHASES=fuzzing,stateful bash scripts/api-fuzz.sh
#
# Settings (environment):
#   MAX_EXAMPLES  test cases per operation and phase (default 100)
#   SEED          schemathesis' seed (default 14): the same seed replays the same cases
#   PHASES        schemathesis phases (default examples,coverage,fuzzing,stateful)
#   WORKERS       concurrent schemathesis workers (default 2)
#   TAMBO_AUTH_BIN   a built `tambo-auth` binary (CI passes the one `cargo test` built); when
#                    not given or missing, `cargo build` makes it (debug profile)
#   SCHEMATHESIS_VENV  where schemathesis is installed (default: under $TMPDIR, reused between
#                      runs); created with `python3 -m venv` and pip, pinned below
#   CHECKS        schemathesis checks (default: every one that applies, see below)
#   KEEP          set to keep the work directory (server log, configuration, schemathesis report)
#
# How the fuzzer is authenticated: the server runs one project, `p_fuzz`, whose subject tokens
# are verified with the `symmetric` strategy (HS256) against a random secret made for this
# run. Python's standard library signs a subject token with it, the script exchanges it at
# `POST /oauth/token` for a Tambo token, and schemathesis sends that token as the OpenAPI
# `bearerAuth` credential and the project's random API key as `apiKey` (`x-api-key`). Secrets
# and tokens travel in environment variables only: never on a command line, never printed.
# Rate limits are turned off for the run (`[rate_limits]` rates of 0): schemathesis sends a few
# thousand exchanges from one address, which the default budget would answer with 429.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES="${MAX_EXAMPLES:-100}"
SEED="${SEED:-14}"
PHASES="${PHASES:-examples,coverage,fuzzing,stateful}"
WORKERS="${WORKERS:-2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCHEMATHESIS_VENV="${SCHEMATHESIS_VENV:-${TMPDIR:-/tmp}/tambo-auth-schemathesis-$SCHEMATHESIS_VERSION}"

# schemathesis, pinned, in a virtual environment of its own (system pip may refuse to install).
if [ "$("$SCHEMATHESIS_VENV/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION in $SCHEMATHESIS_VENV"
    rm -rf "$SCHEMATHESIS_VENV"
    if ! python3 -m venv "$SCHEMATHESIS_VENV" 2>/dev/null; then
        # Debian ships venv apart from python3.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
            rm -rf "$SCHEMATHESIS_VENV"
            python3 -m venv "$SCHEMATHESIS_VENV"
        else
            echo "python3 -m venv failed: install python3-venv" >&2
            exit 1
        fi
    fi
    "$SCHEMATHESIS_VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
SCHEMATHESIS="$SCHEMATHESIS_VENV/bin/schemathesis"
PYTHON="$SCHEMATHESIS_VENV/bin/python"

if [ -z "${TAMBO_AUTH_BIN:-}" ] || [ ! -x "$TAMBO_AUTH_BIN" ]; then
    cargo build -q -p tambo-auth-server --bin tambo-auth --manifest-path "$ROOT/Cargo.toml"
    TAMBO_AUTH_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/tambo-auth"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tambo-auth-api-fuzz.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work directory kept: $WORK"; fi
}
trap cleanup EXIT

# This run's secrets: the identity provider's HS256 secret and the project's API key.
TAMBO_FUZZ_IDP_SECRET="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')"
TAMBO_FUZZ_API_KEY="tambo_pk_fuzz_$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
API_KEY_DIGEST="$(printf %s "$TAMBO_FUZZ_API_KEY" | "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
export TAMBO_FUZZ_IDP_SECRET TAMBO_FUZZ_API_KEY

cat >"$WORK/tambo-auth.toml" <<TOML
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:8260"
database_url = "sqlite://$WORK/tambo.db"

[token]
ttl = "1h"

# Off for the fuzz run: one client sends thousands of exchanges.
[rate_limits]
per_client_per_minute = 0
per_subject_per_minute = 0
per_project_per_minute = 0

[[projects]]
id = "p_fuzz"
api_keys = ["sha256:$API_KEY_DIGEST"]
[projects.verification]
strategy = "symmetric"
issuer = "https://idp.fuzz.invalid"
audiences = ["tambo-fuzz"]
secret_env = "TAMBO_FUZZ_IDP_SECRET"
TOML

# The server prints its address as its first line once it listens: read it from a pipe,
# which also returns at once (empty) if the server exits first. The pipe stays open so that
# the server never writes to a closed one.
mkfifo "$WORK/server.out"
TAMBO_AUTH_LOG="${TAMBO_AUTH_LOG:-warn}" "$TAMBO_AUTH_BIN" serve --config "$WORK/tambo-auth.toml" \
    >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
exec 3<"$WORK/server.out"
FIRST_LINE=""
read -r -t 30 FIRST_LINE <&3 || true
BASE="${FIRST_LINE#tambo-auth listening on }"
if [ -z "$FIRST_LINE" ] || [ "$BASE" = "$FIRST_LINE" ]; then
    echo "the server did not start:" >&2
    cat "$WORK/server.log" >&2
    exit 1
fi
echo "== tambo-auth serve on $BASE (SQLite, rate limits off, project p_fuzz on HS256)"

# A subject token signed with the run's secret, exchanged for the Tambo token the fuzzer sends.
TAMBO_FUZZ_BEARER="$(BASE="$BASE" "$PYTHON" - <<'PY'
import base64, hashlib, hmac, json, os, time, urllib.parse, urllib.request

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

now = int(time.time())
header = {"alg": "HS256", "typ": "JWT"}
claims = {"iss": "https://idp.fuzz.invalid", "sub": "fuzz-user", "aud": "tambo-fuzz",
          "iat": now, "nbf": now, "exp": now + 3600}
signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
signature = hmac.new(os.environ["TAMBO_FUZZ_IDP_SECRET"].encode(), signing_input.encode(),
                     hashlib.sha256).digest()
form = urllib.parse.urlencode({
    "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
    "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
    "subject_token": f"{signing_input}.{b64(signature)}",
}).encode()
request = urllib.request.Request(os.environ["BASE"] + "/oauth/token", data=form, headers={
    "content-type": "application/x-www-form-urlencoded",
    "x-api-key": os.environ["TAMBO_FUZZ_API_KEY"],
})
with urllib.request.urlopen(request, timeout=10) as response:
    print(json.load(response)["access_token"])
PY
)"
export TAMBO_FUZZ_BEARER

# Credentials by OpenAPI security scheme; values come from the environment. A request the
# document does not allow may be refused with any 4xx the operation documents, 413 (a body
# over the limit, checked before anything else) included.
cat >"$WORK/schemathesis.toml" <<'TOML'
[auth.openapi.bearerAuth]
bearer = "${TAMBO_FUZZ_BEARER}"
[auth.openapi.apiKey]
api_key = "${TAMBO_FUZZ_API_KEY}"
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 413, 415, 422, 429]
TOML

# Every check that applies, but positive_data_acceptance (no schema can generate a valid JWT or
# pagination cursor: they are opaque, so schema-valid random ones are rightly refused) and
# object_level_authorization (needs two users' credentials; tests/isolation.rs covers it).
CHECKS="${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,use_after_free,ensure_resource_availability,ignored_auth}"
echo "== schemathesis $SCHEMATHESIS_VERSION: phases $PHASES, $MAX_EXAMPLES examples, seed $SEED, checks $CHECKS"
set +e
(cd "$WORK" && "$SCHEMATHESIS" --config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json" \
    --url "$BASE" \
    --checks "$CHECKS" \
    --phases "$PHASES" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers "$WORKERS" \
    --request-timeout 10 \
    --report junit --report-dir "$WORK/report")
STATUS=$?
set -e
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server exited during the run:" >&2
    cat "$WORK/server.log" >&2
    exit 1
fi
if [ "$STATUS" -ne 0 ]; then
    echo "== schemathesis found problems (exit $STATUS); server log:" >&2
    tail -n 50 "$WORK/server.log" >&2
    exit "$STATUS"
fi
echo "== api fuzz: no findings"
