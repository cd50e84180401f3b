#!/usr/bin/env bash
# Run the suite on SQLite and on PostgreSQL (when it answers) — the two legs at once, each
# on its own core, their output shown leg by leg as each ends. TOUSU_TEST_SERIAL=1 runs
# them one after the other instead, with live output.
# With CI=true an unreachable PostgreSQL fails the run instead of skipping the leg.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${TOUSU_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"

pg=1
if ! $BIN/python - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL does not answer at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  if [ "${CI:-}" = "true" ]; then
    echo "CI=true and PostgreSQL is unreachable: failing (the PostgreSQL leg is required in CI)"
    exit 1
  fi
  echo "PostgreSQL leg skipped: not reachable at $PG_URL"
  pg=0
fi

sqlite_leg() { env -u TOUSU_DATABASE_URL $BIN/pytest "$@"; }
pg_leg() { TOUSU_DATABASE_URL="$PG_URL" $BIN/pytest "$@"; }

if [ $pg -eq 0 ] || [ "${TOUSU_TEST_SERIAL:-}" = "1" ]; then
  echo "== leg 1: SQLite"
  sqlite_leg "$@" || { echo "SQLite leg failed"; exit 1; }
  if [ $pg -eq 1 ]; then
    echo "== leg 2: PostgreSQL ($PG_URL)"
    pg_leg "$@" || { echo "PostgreSQL leg failed"; exit 1; }
    echo "legs run: SQLite PostgreSQL"
  else
    echo "legs run: SQLite"
  fi
  exit 0
fi

# Both legs at once, on two streams: SQLite then the PostgreSQL leg's second part
# (PG_PART2, which the SQLite leg's shorter run leaves room for), and the rest of the
# PostgreSQL leg. Each part has its own test database. The keys in <var> are made before
# they start, so they share them.
$BIN/python -c "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tousu.settings'); django.setup()"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
PG_PART2=(src/tousu/demo)
pg2_url="${PG_URL%/*}/$(basename "${PG_URL##*/}")_part2"
if [ $# -eq 0 ]; then
  pg1_args=()
  for path in "${PG_PART2[@]}"; do pg1_args+=("--ignore=$path"); done
  ( sqlite_leg >"$logs/sqlite" 2>&1; echo $? >"$logs/sqlite.rc"
    TOUSU_DATABASE_URL="$pg2_url" $BIN/pytest "${PG_PART2[@]}" >"$logs/pg2" 2>&1
    echo $? >"$logs/pg2.rc" ) &
  stream1=$!
  pg_leg "${pg1_args[@]}" >"$logs/pg" 2>&1 &
  pg_pid=$!
  echo "== legs 1 and 2 running at once: SQLite (then PostgreSQL: ${PG_PART2[*]}), PostgreSQL ($PG_URL)"
  wait $stream1
  failed=()
  echo "== leg 1: SQLite"
  cat "$logs/sqlite"
  [ "$(cat "$logs/sqlite.rc")" = 0 ] || failed+=("SQLite")
  wait $pg_pid || failed+=("PostgreSQL")
  echo "== leg 2: PostgreSQL ($PG_URL)"
  cat "$logs/pg"
  echo "== leg 2, second part: PostgreSQL (${PG_PART2[*]}, $pg2_url)"
  cat "$logs/pg2"
  [ "$(cat "$logs/pg2.rc")" = 0 ] || failed+=("PostgreSQL (second part)")
else
  sqlite_leg "$@" >"$logs/sqlite" 2>&1 &
  sqlite_pid=$!
  pg_leg "$@" >"$logs/pg" 2>&1 &
  pg_pid=$!
  echo "== legs 1 and 2 running at once: SQLite, PostgreSQL ($PG_URL)"
  failed=()
  wait $sqlite_pid || failed+=("SQLite")
  echo "== leg 1: SQLite"
  cat "$logs/sqlite"
  wait $pg_pid || failed+=("PostgreSQL")
  echo "== leg 2: PostgreSQL ($PG_URL)"
  cat "$logs/pg"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed legs: ${failed[*]}"
  exit 1
fi
echo "legs run: SQLite PostgreSQL"
