# SPDX-License-Identifier: GPL-3.0-or-later
"""CAA (RFC 8659) and its ACME account and method binding (RFC 8657), read only.

For each name a certificate covers, a CA looks up CAA on the name and then on
each parent, and the first one that has CAA records is the relevant set; none
anywhere means any CA may issue. This module decides, from those records,
whether the ACME server in use may issue for the name with certbot's account
and challenge method, and says which record to publish. DNS is not managed by
this collection: the report only advises.

``query_caa`` is a minimal DNS client (UDP, stdlib only) so that the lookup
runs on a host without dig or dnspython, against any resolver (tests point it
at pebble-challtestsrv).
"""

from __future__ import annotations

import random
import re
import socket
import struct
from collections.abc import Mapping, Sequence

from ansible_collections.bulwark.hardening.plugins.module_utils._policy_error import (
    PolicyError,
    shown,
)

CAA_TYPE = 257
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?")
_KNOWN_TAGS = {"issue", "issuewild", "iodef", "contactemail", "contactphone"}


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise PolicyError(f"a DNS name must be a string, got {shown(name)}")
    bare = name.lower().rstrip(".")
    bare = bare.removeprefix("*.")
    if not bare or len(bare) > 253 or not all(_LABEL.fullmatch(x) for x in bare.split(".")):
        raise PolicyError(f"{shown(name)} is not a DNS name")
    return bare


def caa_chain(name: object) -> list[str]:
    """The names whose CAA a CA looks at for ``name``, nearest first (a
    wildcard's own name is the name without ``*.``), the root excluded."""
    labels = _check_name(name).split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def parse_issue(value: str) -> tuple[str, dict[str, str]]:
    """Split an issue/issuewild value into the issuer domain and its parameters."""
    issuer, _semicolon, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        key, sep, val = part.strip().partition("=")
        if sep and key.strip():
            params[key.strip().lower()] = val.strip()
    return issuer.strip().lower(), params


def _record(rec: object) -> dict:
    if not isinstance(rec, Mapping) or not {"flags", "tag", "value"} <= set(rec):
        raise PolicyError(f"a CAA record is {{flags, tag, value}}, got {shown(rec)}")
    return {"flags": int(rec["flags"]), "tag": str(rec["tag"]).lower(), "value": str(rec["value"])}


def advice_record(
    name: str, identity: str, account_uri: str | None, validation_method: str | None
) -> str:
    """The CAA record to publish so that only this CA, account and method may issue."""
    params = []
    if account_uri:
        params.append(f"accounturi={account_uri}")
    if validation_method:
        params.append(f"validationmethods={validation_method}")
    value = "; ".join([identity, *params])
    tag = "issuewild" if name.startswith("*.") else "issue"
    return f'{name.removeprefix("*.")}. IN CAA 0 {tag} "{value}"'


def caa_report(
    name: object,
    records: object,
    *,
    identities: object,
    account_uri: object = None,
    validation_method: object = None,
) -> dict:
    """What CAA says about ``name`` for this CA, account and method.

    ``records`` maps each name of ``caa_chain(name)`` that was looked up to its
    CAA records (``[{flags, tag, value}]``, empty when it has none).
    ``identities`` are the CA's issuer domain names (Let's Encrypt:
    ``letsencrypt.org``). Returns ``{name, status, relevant, message, advice}``
    where status is ``none`` (no CAA: any CA may issue), ``unrestricted`` (CAA
    without issue properties), ``allowed``, ``ca_not_allowed``,
    ``account_mismatch``, ``method_mismatch`` or ``critical_unknown``.
    """
    chain = caa_chain(name)
    if not isinstance(records, Mapping):
        raise PolicyError(f"records must map names to CAA record lists, got {shown(records)}")
    if isinstance(identities, str) or not isinstance(identities, Sequence) or not identities:
        raise PolicyError(
            f"identities must be a non-empty list of CA domains, got {shown(identities)}"
        )
    ids = [str(i).lower() for i in identities]
    wildcard = str(name).startswith("*.")
    advice = advice_record(str(name), ids[0], account_uri or None, validation_method or None)
    result = {"name": name, "relevant": None, "advice": advice}

    relevant: list[dict] = []
    for domain in chain:
        found = records.get(domain) or []
        if isinstance(found, str) or not isinstance(found, Sequence):
            raise PolicyError(f"records[{domain!r}] must be a list, got {shown(found)}")
        if found:
            relevant = [_record(r) for r in found]
            result["relevant"] = domain
            break
    if not relevant:
        return {
            **result,
            "status": "none",
            "message": f"no CAA record on {name} or its parents: any CA may issue for it",
        }
    for rec in relevant:
        if rec["flags"] & 128 and rec["tag"] not in _KNOWN_TAGS:
            return {
                **result,
                "status": "critical_unknown",
                "message": f"CAA on {result['relevant']} has the critical unknown property "
                f"{rec['tag']!r}: no CA may issue for {name}",
            }
    tag = "issuewild" if wildcard and any(r["tag"] == "issuewild" for r in relevant) else "issue"
    issues = [parse_issue(r["value"]) for r in relevant if r["tag"] == tag]
    if not issues:
        return {
            **result,
            "status": "unrestricted",
            "message": f"CAA on {result['relevant']} has no {tag} property: "
            f"any CA may issue for {name}",
        }
    ours = [(issuer, params) for issuer, params in issues if issuer in ids]
    if not ours:
        allowed = sorted({issuer or "(none)" for issuer, _params in issues})
        return {
            **result,
            "status": "ca_not_allowed",
            "message": f"CAA on {result['relevant']} allows {', '.join(allowed)} to issue for "
            f"{name}, not {ids[0]} (the ACME server in use)",
        }
    mismatch = None
    for _issuer, params in ours:
        uri = params.get("accounturi")
        methods = [m.strip() for m in params.get("validationmethods", "").split(",") if m.strip()]
        if uri and account_uri and uri != account_uri:
            mismatch = mismatch or (
                "account_mismatch",
                f"CAA on {result['relevant']} binds {ids[0]} to the ACME account {uri}, "
                f"not certbot's {account_uri}",
            )
        elif uri and not account_uri:
            mismatch = mismatch or (
                "account_mismatch",
                f"CAA on {result['relevant']} binds {ids[0]} to the ACME account {uri}; "
                "certbot has no account on this server yet",
            )
        elif methods and validation_method and validation_method not in methods:
            mismatch = mismatch or (
                "method_mismatch",
                f"CAA on {result['relevant']} lets {ids[0]} validate only by "
                f"{', '.join(methods)}, not {validation_method} (certbot's authenticator)",
            )
        else:
            return {
                **result,
                "status": "allowed",
                "message": f"CAA on {result['relevant']} allows {ids[0]} to issue for {name}",
            }
    status, message = mismatch
    return {**result, "status": status, "message": message}


# --------------------------------------------------------------- DNS, read only
def _qname(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("idna") if label else b""
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        length = data[pos]
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length == 0:
            return pos + 1
        pos += 1 + length


def parse_caa_response(data: bytes, query_id: int) -> list[dict]:
    """CAA records in a DNS response (answers of type CAA only; a CNAME the
    resolver followed comes with the target's records)."""
    if len(data) < 12:
        raise PolicyError("short DNS response")
    rid, flags, qd, an, _ns, _ar = struct.unpack("!6H", data[:12])
    if rid != query_id:
        raise PolicyError("DNS response for another query")
    rcode = flags & 0x0F
    if rcode not in (0, 3):  # NOERROR, NXDOMAIN (no records)
        raise PolicyError(f"DNS error (rcode {rcode})")
    pos = 12
    for _question in range(qd):
        pos = _skip_name(data, pos) + 4
    records = []
    for _answer in range(an):
        pos = _skip_name(data, pos)
        header_end = pos + 10
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", data[pos:header_end])
        rdata_end = header_end + rdlen
        rdata = data[header_end:rdata_end]
        pos = rdata_end
        if rtype == CAA_TYPE and len(rdata) >= 2:
            tag_end = 2 + rdata[1]
            records.append(
                {
                    "flags": rdata[0],
                    "tag": rdata[2:tag_end].decode("ascii", "replace").lower(),
                    "value": rdata[tag_end:].decode("utf-8", "replace"),
                }
            )
    return records


def query_caa(name: str, server: str, port: int = 53, timeout: float = 5.0) -> list[dict]:
    """Ask ``server`` for the CAA records of ``name`` (recursion desired)."""
    query_id = random.randint(0, 0xFFFF)
    packet = struct.pack("!6H", query_id, 0x0100, 1, 0, 0, 0) + _qname(name)
    packet += struct.pack("!HH", CAA_TYPE, 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, port))
        data, _sender = sock.recvfrom(65535)
    return parse_caa_response(data, query_id)
