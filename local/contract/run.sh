#!/usr/bin/env bash
# Contract run (issue #15 §3), called by `make contract` (part of `make test`).
#
# Starts local-stack on free ports with a fresh data dir, registers a Shiku user per dialect
# (its token works as a bearer token in Shiku, Minxing and SealTalk), runs schemathesis on
# each docs/openapi/<dialect>.json served at /openapi/<dialect>.json with the hooks of
# contract_hooks.py (Xuanxuan calls signed with the provisioned app; the dialect-envelope
# check), prints the generated cases per dialect and stops the stack.
#
# Deterministic: derandomized generation (no example database) with a fixed seed, a bounded
# number of examples per operation. Logout routes (`/logout`, Minxing `DELETE
# /api/v1/users/current/devices`) are left out: they revoke the token mid-run.
#
# Environment: SCHEMATHESIS, LOCAL_STACK (binaries), PYTHON, CURL, CONTRACT_EXAMPLES,
# CONTRACT_TIMEOUT (s per dialect), CONTRACT_SEED, CONTRACT_CHECKS, CONTRACT_DIALECTS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${SCHEMATHESIS:?}" "${LOCAL_STACK:?}"
PYTHON="${PYTHON:-python3}"
CURL="${CURL:-curl}"
EXAMPLES="${CONTRACT_EXAMPLES:-5}"
TIMEOUT="${CONTRACT_TIMEOUT:-240}"
SEED="${CONTRACT_SEED:-15}"
CHECKS="${CONTRACT_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,dialect_envelope}"
DIALECTS="${CONTRACT_DIALECTS:-shiku minxing sealtalk xuanxuan}"
export XX_APP_CODE="${XX_APP_CODE:-demo}" XX_APP_KEY="${XX_APP_KEY:-demo-key}"

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

data=$(mktemp -d); log="$data/stack.log"
http=$(free_port); ws=$(free_port); ddb=$(free_port); s3=$(free_port)
HTTP_PORT=$http WS_PORT=$ws DDB_PORT=$ddb S3_PORT=$s3 LOCAL_DATA_DIR="$data" RUST_LOG=warn \
  "$LOCAL_STACK" >"$log" 2>&1 & pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
url="http://127.0.0.1:$http"; ok=0
for _ in $(seq 1 600); do
  if "$CURL" -sf -o /dev/null "$url/openapi/shiku.json"; then ok=1; break; fi
  kill -0 $pid 2>/dev/null || break; sleep 0.2
done
if [ $ok != 1 ]; then echo "error: local-stack did not start; log:" >&2; cat "$log" >&2; exit 1; fi

status=0; summary=""; n=0
for d in $DIALECTS; do
  n=$((n + 1)); start=$(date +%s)
  tok=$("$CURL" -s "$url/user/register" -d "telephone=1380013800$n&password=contract-pass1&nickname=contract$n" \
    | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
  echo "==> schemathesis $d ($CHECKS; seed $SEED, at most $EXAMPLES examples per operation, $TIMEOUT s)"
  out="$data/$d.txt"
  xxlog="$data/$d-answers.tsv"
  if (cd "$data" && CONTRACT_DIALECT=$d CONTRACT_XX_LOG="$xxlog" PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=contract_hooks \
      timeout "$TIMEOUT" "$SCHEMATHESIS" run "$url/openapi/$d.json" --url "$url" \
      -H "Authorization: Bearer $tok" --checks "$CHECKS" --max-examples "$EXAMPLES" \
      --seed "$SEED" --generation-deterministic --workers 1 \
      --phases examples,coverage,fuzzing --exclude-path-regex '/logout$|^/api/v1/users/current/devices$' \
      --continue-on-failure --no-color >"$out" 2>&1); then
    tail -n 12 "$out"
  else
    status=1; cat "$out"
  fi
  if [ -s "$xxlog" ]; then
    echo "    $d answers: $(cut -f1 "$xxlog" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
    echo "    most frequent refusals:"; grep -v '^success' "$xxlog" | sort | uniq -c | sort -rn | head -n 5
    if ! grep -q '^success' "$xxlog"; then echo "error: no $d case got past the signature check" >&2; status=1; fi
  fi
  cases=$(grep -Eo '[0-9]+ generated' "$out" | tail -n 1 | grep -Eo '[0-9]+' || echo "?")
  summary="$summary $d=$cases($(( $(date +%s) - start ))s)"
done
echo "contract: generated cases per dialect:$summary"
exit $status
