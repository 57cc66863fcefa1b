#!/usr/bin/env bash
# Soak of `tambo-auth serve` (issue 14): builds the server and the soak in release, then runs
# mixed traffic on 127.0.0.1 against a server process for a bounded time (5 minutes by
# default) while the test identity provider injects faults, and fails unless nothing
# unexpected was answered, nothing acknowledged was lost and memory stayed flat. Every
# argument goes to the soak (`--help` lists them).
#
#   bash benches/soak.sh                                  # 5 minutes of mixed traffic
#   bash benches/soak.sh --duration 30m --rate 300
#   bash benches/soak.sh --duration 45s --warmup 10s --prime 2000    # a short check
#   bash benches/soak.sh --database-url "postgres://…"                # PostgreSQL instead of SQLite
#   SOAK_BIN=… TAMBO_AUTH_BIN=… bash benches/soak.sh --duration 45s --warmup 10s   # prebuilt (CI)
#
# SOAK_BIN and TAMBO_AUTH_BIN name prebuilt binaries (CI passes the soak `cargo bench
# --no-run` built and the server `cargo test` built); each one not given, or missing, is built
# here in release. Everything listens on 127.0.0.1; the run stops by itself. See
# docs/security.md, "Soak".
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
if [ -z "${SOAK_BIN:-}" ] || [ ! -x "$SOAK_BIN" ]; then
    cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p tambo-auth-benches --bin soak
    SOAK_BIN="$TARGET/soak"
fi
if [ -z "${TAMBO_AUTH_BIN:-}" ] || [ ! -x "$TAMBO_AUTH_BIN" ]; then
    cargo build --release -q --manifest-path "$ROOT/Cargo.toml" -p tambo-auth-server --bin tambo-auth
    TAMBO_AUTH_BIN="$TARGET/tambo-auth"
fi
exec "$SOAK_BIN" --server "$TAMBO_AUTH_BIN" "$@"
