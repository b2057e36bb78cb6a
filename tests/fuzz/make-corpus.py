#!/usr/bin/env python3
# make-corpus.py: the seed corpora of the fuzz targets
#
# Copyright 2026 The Abstain authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   make-corpus.py seeds DIR   (re)writes the small committed seeds into
#                              DIR/<target>/ (tests/fuzz/corpus); files found
#                              there that this script does not write (crashers
#                              found by fuzzing) are kept
#   make-corpus.py big DIR     writes the few large hostile inputs (2 MiB
#                              bodies, 100000 levels of "[") into DIR, at build
#                              time, so they are never committed; every target
#                              replays them
#
# Each valid body follows the shapes of PROTOCOL.md (or the on-disk formats);
# the hostile ones are derived from them: truncated at several points, every
# member given every wrong type, every member missing, duplicated keys, deep
# nesting, invalid UTF-8, escapes of NUL and lone surrogates, huge numbers.

import copy
import hashlib
import json
import os
import sys

CONTROL = {
    "id": "ctl_chat_training",
    "kind": "chat.training",
    "product": "le_chat",
    "scope": "account",
    "organization_id": None,
    "title": "Use my conversations to improve models",
    "description": "Prompts, answers and the documents you upload.",
    "enabled": True,
    "editable": True,
    "locked_reason": None,
    "revision": 7,
    "updated_at": "2026-11-28T09:14:03Z",
}

ORG_CONTROL = {
    "id": "ctl_api_9w1",
    "kind": "api.anonymous_improvement",
    "product": "la_plateforme",
    "scope": "organization",
    "organization_id": "org_9w1",
    "title": "Anonymous improvement data",
    "description": "Let API calls of this organization improve the services.",
    "enabled": False,
    "editable": False,
    "locked_reason": "role",
    "revision": 3,
    "updated_at": "2026-11-20T17:00:00+01:00",
}

ACCOUNT = {
    "id": "acc_5kq2",
    "email": "ada@example.org",
    "display_name": "Ada Lovelace",
    "plan": "free",
    "organizations": [
        {"id": "org_9w1", "name": "Analytical Engines", "role": "admin"},
        {"id": "org_2x7", "name": "Difference Club", "role": "member"},
    ],
}

EVENT = {
    "control_id": "ctl_chat_training",
    "kind": "chat.training",
    "from": True,
    "to": False,
    "at": "2026-11-28T09:14:03Z",
    "source": "desktop",
}

TOKEN = "abs_0123456789abcdefghijklmnop"
REFRESH = "absr_0123456789abcdefghijklmnop"

VALID = {
    "protocol-account": [ACCOUNT, dict(ACCOUNT, organizations=[], plan="enterprise")],
    "protocol-controls": [
        {"revision": 41, "controls": [CONTROL, ORG_CONTROL]},
        {"revision": 0, "controls": []},
    ],
    "protocol-control": [CONTROL, ORG_CONTROL],
    "protocol-history": [
        {"events": [EVENT, dict(EVENT, source="web", **{"from": False, "to": True})]},
        {"events": []},
    ],
    "protocol-error": [
        {"error": {"code": "locked", "message": "This control is locked.", "control": ORG_CONTROL}},
        {"error": {"code": "precondition_failed", "message": "Changed meanwhile.", "control": CONTROL}},
        {"error": {"code": "unauthorized", "message": "Token not valid."}},
        {"error": {"code": "rate_limited", "message": "Slow down.", "control": None}},
    ],
    "protocol-device-auth": [
        {
            "device_code": "dev_8f3a1c9e2b7d4f60",
            "user_code": "WDJB-MJHT",
            "verification_uri": "http://127.0.0.1:8080/device",
            "verification_uri_complete": "http://127.0.0.1:8080/device?user_code=WDJB-MJHT",
            "expires_in": 600,
            "interval": 5,
        },
        {
            "device_code": "dev_8f3a1c9e2b7d4f60",
            "user_code": "WDJB-MJHT",
            "verification_uri": "https://example.org/device",
            "expires_in": 1800,
        },
    ],
    "protocol-oauth-error": [
        {"error": "authorization_pending"},
        {"error": "slow_down"},
        {"error": "expired_token", "error_description": "The code expired."},
        {"error": "access_denied"},
        {"error": "invalid_grant"},
    ],
    "protocol-token": [
        {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600, "refresh_token": REFRESH},
        {"access_token": TOKEN, "token_type": "bearer"},
    ],
    "secret": [
        {"access_token": TOKEN, "refresh_token": REFRESH, "expires_at": 1795000000},
        {"access_token": TOKEN, "refresh_token": None, "expires_at": 0},
        {"access_token": TOKEN},
    ],
}

# The reference service's state file as it writes it (tokens are SHA-256
# hashes; these are of made-up strings). The small one is derived from.
SERVICE_STATE_FULL = {'version': 1,
 'organizations': [{'id': 'org_9w1', 'name': 'Analytical Engines'},
                   {'id': 'org_3kd', 'name': 'Harvard Computation Lab'}],
 'users': [{'id': 'acc_5kq2',
            'email': 'ada@example.org',
            'display_name': 'Ada Lovelace',
            'plan': 'free',
            'memberships': [{'organization_id': 'org_9w1', 'role': 'admin'},
                            {'organization_id': 'org_3kd', 'role': 'member'}]},
           {'id': 'acc_7hp4',
            'email': 'grace@example.org',
            'display_name': 'Grace Hopper',
            'plan': 'pro',
            'memberships': [{'organization_id': 'org_3kd', 'role': 'admin'}]},
           {'id': 'acc_2sm8',
            'email': 'katherine@example.edu',
            'display_name': 'Katherine Johnson',
            'plan': 'student',
            'memberships': []},
           {'id': 'acc_9tl3',
            'email': 'hedy@example.com',
            'display_name': 'Hedy Lamarr',
            'plan': 'team',
            'memberships': []},
           {'id': 'acc_4ev6',
            'email': 'margaret@example.com',
            'display_name': 'Margaret Hamilton',
            'plan': 'enterprise',
            'memberships': []}],
 'controls': [{'id': 'ctl_api_9w1',
               'kind': 'api.anonymous_improvement',
               'owner': 'org_9w1',
               'scope': 'organization',
               'enabled': True,
               'revision': 2,
               'updated_at': 1795919866},
              {'id': 'ctl_api_3kd',
               'kind': 'api.anonymous_improvement',
               'owner': 'org_3kd',
               'scope': 'organization',
               'enabled': True,
               'revision': 1,
               'updated_at': 1795919865},
              {'id': 'ctl_chat_training',
               'kind': 'chat.training',
               'owner': 'acc_5kq2',
               'scope': 'account',
               'enabled': False,
               'revision': 2,
               'updated_at': 1795919866},
              {'id': 'ctl_chat_training',
               'kind': 'chat.training',
               'owner': 'acc_7hp4',
               'scope': 'account',
               'enabled': True,
               'revision': 1,
               'updated_at': 1795919865},
              {'id': 'ctl_chat_training',
               'kind': 'chat.training',
               'owner': 'acc_2sm8',
               'scope': 'account',
               'enabled': True,
               'revision': 1,
               'updated_at': 1795919865},
              {'id': 'ctl_chat_training',
               'kind': 'chat.training',
               'owner': 'acc_9tl3',
               'scope': 'account',
               'enabled': False,
               'revision': 1,
               'updated_at': 1795919865},
              {'id': 'ctl_chat_training',
               'kind': 'chat.training',
               'owner': 'acc_4ev6',
               'scope': 'account',
               'enabled': False,
               'revision': 1,
               'updated_at': 1795919865}],
 'tokens': [{'sha256': '76fbaf89ffcf3953958a1b9efce361386d46bff1e93785e61385a9fef5136e86',
             'kind': 'access',
             'user_id': 'acc_5kq2',
             'expires_at': 0},
            {'sha256': 'e00cee9321ab2ec1fa40396bcecb839aaa7279656a04e161f70f897dc4ad9276',
             'kind': 'access',
             'user_id': 'acc_7hp4',
             'expires_at': 0},
            {'sha256': '22aa13ebe99c5fdf4b7c1659452b95f1442205d6b889468bc94c858c841cbdbf',
             'kind': 'access',
             'user_id': 'acc_2sm8',
             'expires_at': 0},
            {'sha256': '52d823008633ee39f248a60d0b75e9673d4a0a2cd0994c39f0cd9aab2bd09ee5',
             'kind': 'access',
             'user_id': 'acc_9tl3',
             'expires_at': 0},
            {'sha256': 'e9bfc3cd0c9e976ddf69e82ac5a671be7f7638936a42fdfd4ada3224aaa7738c',
             'kind': 'access',
             'user_id': 'acc_4ev6',
             'expires_at': 0}],
 'idempotency': [{'key': '3f1c2a40-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
                  'user_id': 'acc_5kq2',
                  'request_sha256': '6ad207928acd962730b7d95769650f2e50ab068e3a24bb5793c146f66453d9fd',
                  'status': 200,
                  'body': '{"id":"ctl_chat_training","kind":"chat.training","product":"le_chat","scope":"account","organization_id":null,"title":"Use '
                          'my conversations to improve models","description":"Prompts, answers and '
                          'the documents you '
                          'upload.","enabled":false,"editable":true,"locked_reason":null,"revision":2,"updated_at":"2026-11-29T02:37:46Z"}',
                  'etag': '"ctl_chat_training-2"',
                  'at': 1795919866}],
 'history': [{'control_id': 'ctl_chat_training',
              'kind': 'chat.training',
              'owner': 'acc_5kq2',
              'from': True,
              'to': False,
              'at': 1795919866,
              'source': 'desktop'},
             {'control_id': 'ctl_api_9w1',
              'kind': 'api.anonymous_improvement',
              'owner': 'org_9w1',
              'from': False,
              'to': True,
              'at': 1795919866,
              'source': 'web'}]}

SERVICE_STATE = {
    "version": 1,
    "organizations": [
        {
            "id": "org_9w1",
            "name": "Analytical Engines"
        }
    ],
    "users": [
        {
            "id": "acc_5kq2",
            "email": "ada@example.org",
            "display_name": "Ada Lovelace",
            "plan": "free",
            "memberships": [
                {
                    "organization_id": "org_9w1",
                    "role": "admin"
                }
            ]
        }
    ],
    "controls": [
        {
            "id": "ctl_api_9w1",
            "kind": "api.anonymous_improvement",
            "owner": "org_9w1",
            "scope": "organization",
            "enabled": True,
            "revision": 2,
            "updated_at": 1795919866
        },
        {
            "id": "ctl_chat_training",
            "kind": "chat.training",
            "owner": "acc_5kq2",
            "scope": "account",
            "enabled": False,
            "revision": 2,
            "updated_at": 1795919866
        }
    ],
    "tokens": [
        {
            "sha256": "76fbaf89ffcf3953958a1b9efce361386d46bff1e93785e61385a9fef5136e86",
            "kind": "access",
            "user_id": "acc_5kq2",
            "expires_at": 1795923466
        }
    ],
    "idempotency": [
        {
            "key": "3f1c2a40-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
            "user_id": "acc_5kq2",
            "request_sha256": "6ad207928acd962730b7d95769650f2e50ab068e3a24bb5793c146f66453d9fd",
            "status": 200,
            "body": "{\"id\":\"ctl_chat_training\",\"enabled\":false}",
            "etag": "\"ctl_chat_training-2\"",
            "at": 1795919866
        }
    ],
    "history": [
        {
            "control_id": "ctl_chat_training",
            "kind": "chat.training",
            "owner": "acc_5kq2",
            "from": True,
            "to": False,
            "at": 1795919866,
            "source": "desktop"
        },
        {
            "control_id": "ctl_api_9w1",
            "kind": "api.anonymous_improvement",
            "owner": "org_9w1",
            "from": False,
            "to": True,
            "at": 1795919866,
            "source": "web"
        }
    ]
}

HOSTILE_VALUES = [None, True, -1, 1.5, "", [], {"a": 1}]

# The files of the client's state folder, as the store writes them; the
# store target takes a first byte that picks the file (0 accounts, 1 state,
# 2 outbox, 3 history).
STORE_FILES = {'accounts': {'version': 1,
              'accounts': [{'server': 'http://127.0.0.1:8080',
                            'id': 'acc_5kq2',
                            'email': 'ada@example.org',
                            'display_name': 'Ada Lovelace',
                            'plan': 'free',
                            'organizations': [{'id': 'org_9w1',
                                               'name': 'Analytical Engines',
                                               'role': 'admin'},
                                              {'id': 'org_3kd',
                                               'name': 'Harvard Computation Lab',
                                               'role': 'member'}]}]},
 'state': {'version': 1,
           'accounts': [{'server': 'http://127.0.0.1:8080',
                         'account_id': 'acc_5kq2',
                         'etag': None,
                         'last_verified': '2026-11-29T02:44:25Z',
                         'controls': [{'id': 'ctl_chat_training',
                                       'kind': 'chat.training',
                                       'product': 'le_chat',
                                       'scope': 'account',
                                       'organization_id': None,
                                       'title': 'Use my conversations to improve models',
                                       'description': 'Prompts, answers and the documents you '
                                                      'upload.',
                                       'enabled': False,
                                       'editable': True,
                                       'locked_reason': None,
                                       'revision': 2,
                                       'updated_at': '2026-11-29T02:44:25Z',
                                       'etag': '"ctl_chat_training-2"'},
                                      {'id': 'ctl_api_9w1',
                                       'kind': 'api.anonymous_improvement',
                                       'product': 'la_plateforme',
                                       'scope': 'organization',
                                       'organization_id': 'org_9w1',
                                       'title': 'Anonymous improvement data',
                                       'description': 'Let API calls of this organization improve '
                                                      'the services.',
                                       'enabled': False,
                                       'editable': True,
                                       'locked_reason': None,
                                       'revision': 1,
                                       'updated_at': '2026-11-29T02:44:24Z',
                                       'etag': '"ctl_api_9w1-1"'}]}]},
 'history': {'version': 1,
             'events': [{'server': 'http://127.0.0.1:8080',
                         'account_id': 'acc_5kq2',
                         'control_id': 'ctl_chat_training',
                         'kind': 'chat.training',
                         'from': True,
                         'to': False,
                         'at': '2026-11-29T02:44:25Z',
                         'source': 'desktop'}]},
 'outbox': {'version': 1,
            'changes': [{'server': 'http://127.0.0.1:8080',
                         'account_id': 'acc_5kq2',
                         'control_id': 'ctl_chat_training',
                         'idempotency_key': '3f1c2a40-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
                         'enabled': False,
                         'attempts': 2,
                         'created_at': '2026-11-29T02:44:25Z'}]}}

HOSTILE_STRINGS = ["a" * 600, "é\u200b\u202e\u0000", "line\nbreak \"q\"",
                   "2026-13-40T99:99:99Z"]

RAW_HOSTILE = [
    b"",
    b" ",
    b"{",
    b"}",
    b"[",
    b"null",
    b"true",
    b"0",
    b"\"just a string\"",
    b"[]",
    b"{}",
    b"{} {}",
    b"{\"a\":1,}",
    b"{'a': 1}",
    b"/* comment */ {}",
    b"\xef\xbb\xbf{}",
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1></body></html>",
    b"\xff\xfe{}",
    b"{\"a\":\"\xc0\xaf\"}",
    b"{\"a\":\"\xed\xa0\x80\"}",
    b"{\"a\":\"\xf4\x90\x80\x80\"}",
    b"{\"a\":\"\x00\"}",
    b"{\"a\":\"\\u0000\"}",
    b"{\"a\":\"\\ud800\"}",
    b"{\"a\":\"\\udc00\\ud800\"}",
    b"{\"a\":\"\\ud800x\"}",
    b"{\"a\":\"\\ud800\\u0041\"}",
    b"[1] [2]",
    b"{\"a\":1e400}",
    b"{\"a\":-1e400}",
    b"{\"a\":1e-400}",
    b"{\"a\":9223372036854775808}",
    b"{\"a\":-9223372036854775809}",
    b"{\"a\":123456789012345678901234567890123456789}",
    b"{\"a\":NaN}",
    b"{\"a\":Infinity}",
    b"{\"a\":0x10}",
    b"{\"a\":0xffffffffffffffffff}",
    b"{\"a\":/*\"*/99999999999999999999}",
    b"{\"a\":['\"',[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    b"{\"a\":[/*\"*/[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    b"{'a':'b'}",
    b"// comment\n{}",
    b"{\"a\":01}",
    b"[" * 33 + b"]" * 33,
    b"{\"a\":" * 40 + b"1" + b"}" * 40,
    b"[" * 1000,
    b"\"" + b"[" * 100 + b"\"",
    b"{\"a\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}",
]


def dump(value, **kwargs):
    return json.dumps(value, ensure_ascii=False, **kwargs).encode("utf-8")


def members(value, path=()):
    """Every (path, object) pair: each object nested in @value, with its keys."""
    if isinstance(value, dict):
        yield path, value
        for key, child in value.items():
            yield from members(child, path + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from members(child, path + (i,))


def at(value, path):
    for key in path:
        value = value[key]
    return value


def derived(valid, wrong_values=None, hostile_strings=None):
    """Hostile variants of one valid body."""
    out = []
    text = dump(valid)
    out.append(dump(valid, indent=2))
    for cut in (1, len(text) // 3, len(text) // 2, len(text) - 1):
        out.append(text[:cut])
    for path, obj in list(members(valid)):
        for key in list(obj.keys()):
            # Missing member.
            v = copy.deepcopy(valid)
            del at(v, path)[key]
            out.append(dump(v))
            # Every wrong type.
            for wrong in wrong_values if wrong_values is not None else HOSTILE_VALUES:
                if type(wrong) is type(obj[key]) and wrong == obj[key]:
                    continue
                v = copy.deepcopy(valid)
                at(v, path)[key] = wrong
                out.append(dump(v))
            # A string member made hostile.
            if isinstance(obj[key], str):
                for s in hostile_strings if hostile_strings is not None else HOSTILE_STRINGS:
                    v = copy.deepcopy(valid)
                    at(v, path)[key] = s
                    out.append(dump(v))
            # A duplicate of the member with a wrong type, after and before.
            body = dump(at(valid, path))
            dup = json.dumps(key).encode() + b":null"
            v = body[:-1] + b"," + dup + b"}" if len(obj) else body
            out.append(text.replace(body, v, 1))
            v = b"{" + dup + b"," + body[1:] if len(obj) else body
            out.append(text.replace(body, v, 1))
            # Invalid UTF-8 in the member's name.
            out.append(text.replace(json.dumps(key).encode(), b"\"" + key.encode() + b"\xff\"", 1))
    # Numbers out of range in place of each number.
    for raw in (b"1e400", b"9223372036854775808", b"-9223372036854775809",
                b"4294967296", b"-1", b"1.0", b"1e3", b"-0"):
        for path, obj in list(members(valid)):
            for key, child in obj.items():
                if isinstance(child, (int, float)) and not isinstance(child, bool):
                    body = dump(at(valid, path))
                    repl = body.replace(json.dumps(key).encode() + b": " + dump(child),
                                        json.dumps(key).encode() + b": " + raw, 1)
                    out.append(text.replace(body, repl, 1))
    # Deeper than the limit, inside a valid body.
    out.append(text[:-1] + b",\"deep\":" + b"[" * 40 + b"]" * 40 + b"}")
    out.append(text[:-1] + b",\"unknown\":{\"nested\":[1,2,{\"x\":null}]}}")
    # The valid body wrapped in an array.
    out.append(b"[" + text + b"]")
    return out


def name_of(data):
    return hashlib.sha1(data).hexdigest()


def write(directory, inputs, prefix):
    os.makedirs(directory, exist_ok=True)
    seen = set()
    for data in inputs:
        if data in seen:
            continue
        seen.add(data)
        with open(os.path.join(directory, prefix + name_of(data)[:16]), "wb") as f:
            f.write(data)


def seeds(top):
    valid = dict(VALID)
    valid["service-state"] = [SERVICE_STATE]
    for target, bodies in valid.items():
        if target == "store":
            continue
        inputs = []
        for i, body in enumerate(bodies):
            inputs.append(dump(body))
            if target == "service-state":
                inputs.extend(derived(body, [None, -1, "", {}], ["\u0000"]))
            else:
                inputs.extend(derived(body))
        if target == "service-state":
            inputs.append(dump(SERVICE_STATE_FULL))
            inputs.append(dump(dict(SERVICE_STATE, version=2)))
            inputs.append(dump(dict(SERVICE_STATE, users=SERVICE_STATE["users"] * 2)))
            inputs.append(dump(dict(SERVICE_STATE, controls=SERVICE_STATE["controls"] * 2)))
        inputs.extend(RAW_HOSTILE)
        write(os.path.join(top, target), inputs, "seed-")


def store_seeds(top):
    inputs = []
    for i, name in enumerate(("accounts", "state", "outbox", "history")):
        prefix = bytes([i])
        body = STORE_FILES[name]
        inputs.append(prefix + dump(body, indent=2))
        inputs.extend(prefix + d for d in derived(body, [None, -1, "", {}], ["\u0000", "a" * 5000]))
        inputs.extend(prefix + raw for raw in RAW_HOSTILE)
    write(os.path.join(top, "store"), inputs, "seed-")


CLI_COMMANDS = ["status", "opt-out", "opt-in", "sync", "history", "accounts"]

CLI_ARGS = [
    [], ["--json"], ["--account=ada@example.org"], ["--account", "acc_5kq2"], ["--account"],
    ["--account="], ["--all"], ["ctl_chat_training"], ["chat.training", "api.anonymous_improvement"],
    ["--all", "ctl_chat_training"], ["--account=acc_5kq2", "--all"], ["--json", "--json"],
    ["extra"], ["--"], ["--", "--all"], ["-"], ["--unknown"], ["--json=1"], ["-x"],
    ["--account=\xff\xfe"], ["\xc0\xaf"], ["a" * 5000], ["--account=" + "b" * 5000],
    ["--all"] * 60, ["ctl_%s" % i for i in range(60)], ["--json", "--account=ada@example.org", "--all", "x"],
    ["%s%s%n"], ["--account=%s"], [""], ["", ""], ["--version"],
]


def cli_seeds(top):
    inputs = []
    for i, command in enumerate(CLI_COMMANDS):
        for args in CLI_ARGS:
            inputs.append(bytes([i]) + b"\0".join(a.encode("utf-8", "surrogateescape")
                                                  if isinstance(a, str) else a for a in args))
    write(os.path.join(top, "cli"), inputs, "seed-")


def big(top):
    deep = b"[" * 100000
    deep_obj = b"{\"a\":" * 100000
    huge_string = b"{\"error\":\"" + b"a" * (2 * 1024 * 1024) + b"\"}"
    huge_array = b"[" + b"1," * (1024 * 1024) + b"1]"
    just_over = b"{\"a\":\"" + b"b" * (1024 * 1024 - 8) + b"\"}"
    # json-glib 1.6 skips /* comments */ and reads 'single-quoted' strings:
    # a quote hidden in either hides the nesting after it from a depth check
    # that only knows JSON, and json-glib then recurses 100000 times.
    hidden_by_comment = b"{\"a\":[/*\"*/" + b"[" * 100000 + b"]" * 100000 + b"]}"
    hidden_by_quote = b"{\"a\":['\"'," + b"[" * 100000 + b"]" * 100000 + b"]}"
    # The same in the store's files (first byte: 1 state, 3 history).
    store_comment = b"\x03{\"version\":1,\"events\":[/*\"*/" + b"[" * 100000 + b"]" * 100000 + b"]}"
    store_quote = b"\x01{\"version\":1,\"accounts\":['\"'," + b"[" * 100000 + b"]" * 100000 + b"]}"
    write(top, [deep, deep_obj, huge_string, huge_array, just_over,
                hidden_by_comment, hidden_by_quote, store_comment, store_quote], "big-")


def main(argv):
    if len(argv) >= 3 and argv[1] == "seeds":
        seeds(argv[2])
        store_seeds(argv[2])
        cli_seeds(argv[2])
    elif len(argv) == 3 and argv[1] == "big":
        big(argv[2])
    else:
        sys.stderr.write("usage: make-corpus.py seeds DIR | big DIR\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
