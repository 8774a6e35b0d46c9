"""Schemathesis hooks of the contract run (`make contract`, part of `make test`).

Loaded through SCHEMATHESIS_HOOKS=contract_hooks with this directory on PYTHONPATH; the
run script sets CONTRACT_DIALECT (shiku|minxing|sealtalk|xuanxuan) and, for Xuanxuan,
XX_APP_CODE / XX_APP_KEY (the app the local stack provisions).

- before_call: signs Xuanxuan calls as the dialect requires (token = md5(md5(query without
  `&token=…`) + app key), `code` = the app, a fresh `time`), so generated cases reach the
  handlers instead of stopping at the signature check.
- dialect_envelope: every response (success or refusal) is in the dialect's envelope.
"""

import hashlib
import json
import os
import time
from urllib.parse import urlencode

import schemathesis

DIALECT = os.environ.get("CONTRACT_DIALECT", "")


def _md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def _wire_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def xuanxuan_query(query: dict, code: str, key: str, now: int) -> dict:
    """The query to send: the generated pairs as strings (m, f first, as clients send them),
    the app code, a fresh `time` when the case has one, then `token` = the signature of
    exactly the string requests will encode from the pairs before it (same `urlencode`)."""
    out = {}
    for k in ("m", "f"):
        if k in query:
            out[k] = _wire_value(query[k])
    for k, v in query.items():
        if k in ("m", "f", "code", "token", "time"):
            continue
        out[k] = [_wire_value(i) for i in v] if isinstance(v, list) else _wire_value(v)
    out["code"] = code
    if "time" in query:
        out["time"] = str(now)
    signed = urlencode(out, doseq=True)
    out["token"] = _md5(_md5(signed) + key)
    return out


@schemathesis.hook
def before_call(context, case, kwargs):
    if DIALECT != "xuanxuan" or case.operation.path != "/api.php":
        return
    code = os.environ.get("XX_APP_CODE", "demo")
    key = os.environ.get("XX_APP_KEY", "demo-key")
    case.query = xuanxuan_query(dict(case.query or {}), code, key, int(time.time()))


@schemathesis.hook
def after_call(context, case, response):
    """Xuanxuan: one line per answer (`result`, `message`) in CONTRACT_XX_LOG, so the run shows
    how many generated cases got past the signature check to the handlers."""
    out = os.environ.get("CONTRACT_XX_LOG")
    if DIALECT != "xuanxuan" or not out:
        return
    body = _json(response)
    if isinstance(body, dict):
        line = f"{body.get('result')}\t{body.get('message', '')}"
    else:
        line = f"HTTP {response.status_code}\tnot JSON"
    with open(out, "a", encoding="utf-8") as f:
        f.write(line.replace("\n", " ") + "\n")


def _enveloped(case) -> bool:
    """Is the operation's documented 200 answer the dialect's envelope? Shiku's raw routes
    (file and avatar downloads, the console's HTML) and SealTalk's bare `/misc/*` answers (as in
    the original server, docs/dialects.md) are not, so the envelope check skips them."""
    ok = case.operation.definition.raw.get("responses", {}).get("200", {})
    if "$ref" in ok:
        return ok["$ref"].endswith("/envelope")
    return "plain JSON" not in ok.get("description", "")


def _json(response):
    try:
        return json.loads(response.content or b"")
    except ValueError:
        return None


@schemathesis.check
def dialect_envelope(ctx, response, case):
    """Every answer is in the dialect's envelope (docs/errors.md)."""
    if not _enveloped(case):
        return None
    status = response.status_code
    body = _json(response)
    where = f"{case.method} {case.formatted_path} -> HTTP {status}"
    if DIALECT == "shiku":
        if not isinstance(body, dict):
            raise AssertionError(f"Shiku: not a JSON object ({where})")
        rc = body.get("resultCode")
        if not (isinstance(rc, int) and not isinstance(rc, bool) and (rc in (0, 1) or rc > 1000000)):
            raise AssertionError(f"Shiku: resultCode {rc!r} is not 1, 0 or > 1000000 ({where})")
        if not isinstance(body.get("currentTime"), int):
            raise AssertionError(f"Shiku: no integer currentTime ({where})")
    elif DIALECT == "sealtalk":
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise AssertionError(f"SealTalk: no integer `code` ({where})")
    elif DIALECT == "minxing":
        if 400 <= status < 500:
            if not isinstance(body, dict) or not isinstance(body.get("error"), str):
                raise AssertionError(f"Minxing: a {status} without a JSON `error` ({where})")
    elif DIALECT == "xuanxuan":
        if not isinstance(body, dict) or body.get("result") not in ("success", "fail"):
            raise AssertionError(f"Xuanxuan: `result` is not success|fail ({where})")
    return None
