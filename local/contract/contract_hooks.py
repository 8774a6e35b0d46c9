"""Schemathesis hooks of the contract run (`make contract`, part of `make test`).

Loaded through SCHEMATHESIS_HOOKS=contract_hooks with this directory on PYTHONPATH; the
run script sets CONTRACT_DIALECT (shiku|minxing|sealtalk|xuanxuan) and, for Xuanxuan,
XX_APP_CODE / XX_APP_KEY (the app the local stack provisions).

- before_call: signs Xuanxuan calls as the dialect requires (token = md5(md5(query without
  `&token=…`) + app key), `code` = the app, a fresh `time`), so generated cases reach the
  handlers instead of stopping at the signature check.
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


def _json(response):
    try:
        return json.loads(response.content or b"")
    except ValueError:
        return None
