#!/usr/bin/env bash
# Run the suite on SQLite, then again on PostgreSQL when it answers.
# With CI=true an unreachable PostgreSQL fails the run instead of skipping the leg.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${TOUSU_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
legs=()

echo "== leg 1: SQLite"
env -u TOUSU_DATABASE_URL $BIN/pytest "$@"
status=$?
[ $status -eq 0 ] || { echo "SQLite leg failed"; exit $status; }
legs+=("SQLite")

if $BIN/python - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL does not answer at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== leg 2: PostgreSQL ($PG_URL)"
  TOUSU_DATABASE_URL="$PG_URL" $BIN/pytest "$@"
  status=$?
  [ $status -eq 0 ] || { echo "PostgreSQL leg failed"; exit $status; }
  legs+=("PostgreSQL")
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true and PostgreSQL is unreachable: failing (the PostgreSQL leg is required in CI)"
  exit 1
else
  echo "PostgreSQL leg skipped: not reachable at $PG_URL"
fi
echo "legs run: ${legs[*]}"
