"""A corpus of hostile JSON Lines inputs (issue 6). Each must be refused: exit 2, one line, nothing appended.

Built in code rather than stored as files so that the 10 MB line and the deep
nesting do not sit in the repository. Every entry is a whole import file.
"""

from __future__ import annotations

import json

GM = '{"type":"GrossMarginReported","occurred_on":"2004-01-01","month":"2003-01","amount":%s}'
RELEASE = '{"type":"EscrowReleased","occurred_on":"2004-01-01","shares":%s}'
CLOSING = '{"type":"ClosingOccurred","occurred_on":%s}'
CLAIM = (
    '{"type":"ClaimAsserted","occurred_on":"2004-01-01","claim_id":%s,"claimant":"buyer","sections":%s,"amount":"1"}'
)
VALID = GM % '"1.00"'


def _b(text: str) -> bytes:
    return text.encode()


HOSTILE: dict[str, bytes] = {
    # numbers
    "huge-integer-shares-5000-digits": _b(RELEASE % ("9" * 5000)),
    "huge-integer-amount": _b(GM % ("9" * 100)),
    "huge-decimal-string-amount": _b(GM % json.dumps("9" * 40 + ".00")),
    "amount-one-trillion": _b(GM % '"1000000000000.00"'),
    "amount-three-places": _b(GM % '"1.005"'),
    "amount-exponent-string": _b(GM % '"1e5"'),
    "amount-hex": _b(GM % '"0x10"'),
    "amount-NaN-literal": _b(GM % "NaN"),
    "amount-NaN-string": _b(GM % '"NaN"'),
    "amount-Infinity-literal": _b(GM % "Infinity"),
    "amount-minus-Infinity-literal": _b(GM % "-Infinity"),
    "amount-Infinity-string": _b(GM % '"Infinity"'),
    "amount-float": _b(GM % "100.5"),
    "amount-float-exponent": _b(GM % "1e308"),
    "amount-float-overflow": _b(GM % "1e999"),
    "amount-bool": _b(GM % "true"),
    "amount-null": _b(GM % "null"),
    "amount-object": _b(GM % '{"value":"1"}'),
    "amount-arabic-indic-digits": _b(GM % json.dumps("\u0661\u0662")),
    "amount-fullwidth-digits": _b(GM % json.dumps("\uff11\uff12")),
    "shares-float": _b(RELEASE % "1.0"),
    "shares-bool": _b(RELEASE % "true"),
    "shares-negative": _b(RELEASE % "-1"),
    "shares-zero": _b(RELEASE % "0"),
    "shares-string-float": _b(RELEASE % '"1.5"'),
    "shares-arabic-indic-digits": _b(RELEASE % json.dumps("\u0661\u0662")),
    "retract-position-beyond-int64": _b(
        '{"type":"EventRetracted","occurred_on":"2004-01-01","event_id":99999999999999999999,"reason":"x"}'
    ),
    # dates and months
    "date-year-9999": _b(CLOSING % '"9999-12-31"'),
    "date-year-0": _b(CLOSING % '"0000-01-01"'),
    "date-february-30": _b(CLOSING % '"2003-02-30"'),
    "date-as-integer": _b(CLOSING % "20030410"),
    "date-with-time": _b(CLOSING % '"2003-04-10T00:00:00"'),
    "date-two-digit-year": _b(CLOSING % '"03-04-10"'),
    "date-arabic-indic-digits": _b(CLOSING % json.dumps("\u0662\u0660\u0660\u0663-\u0660\u0664-\u0661\u0660")),
    "month-13": _b('{"type":"GrossMarginReported","occurred_on":"2004-01-01","month":"2003-13","amount":"1"}'),
    "month-year-0": _b('{"type":"GrossMarginReported","occurred_on":"2004-01-01","month":"0000-01","amount":"1"}'),
    # ids and text
    "claim-id-sql-injection": _b(CLAIM % (json.dumps("'; DROP TABLE stored_events; --"), '["2.14"]')),
    "claim-id-shell-metacharacters": _b(CLAIM % (json.dumps("$(rm -rf /)`id`|;&"), '["2.14"]')),
    "claim-id-nul-escape": _b(CLAIM % (json.dumps("C\x00"), '["2.14"]')),
    "claim-id-escape-sequence": _b(CLAIM % (json.dumps("C\x1b[31m"), '["2.14"]')),
    "claim-id-newline": _b(CLAIM % (json.dumps("C1\nC2"), '["2.14"]')),
    "claim-id-right-to-left-override": _b(CLAIM % (json.dumps("C\u202e1"), '["2.14"]')),
    "claim-id-65-characters": _b(CLAIM % (json.dumps("C" * 65), '["2.14"]')),
    "claim-id-empty": _b(CLAIM % ('""', '["2.14"]')),
    "claim-id-lone-surrogate": _b(CLAIM % ('"\\ud800"', '["2.14"]')),
    "basis-lone-surrogate": _b(
        '{"type":"ClaimAsserted","occurred_on":"2004-01-01","claim_id":"C9","claimant":"buyer",'
        '"sections":["2.14"],"amount":"1","basis":"\\udfff"}'
    ),
    "raw-control-character-in-string": b'{"type":"ClosingOccurred\x01","occurred_on":"2003-04-10"}',
    "section-sql": _b(CLAIM % ('"C9"', json.dumps(["2.14'; --"]))),
    "section-arabic-indic-digits": _b(CLAIM % ('"C9"', json.dumps(["\u0662.\u0661\u0664"]))),
    "sections-100000": _b(CLAIM % ('"C9"', json.dumps(["2.14"] * 100_000))),
    "sections-object": _b(CLAIM % ('"C9"', '{"a":1}')),
    "basis-over-2000-characters": _b(
        '{"type":"ClaimAsserted","occurred_on":"2004-01-01","claim_id":"C9","claimant":"buyer",'
        '"sections":["2.14"],"amount":"1","basis":"' + "x" * 2001 + '"}'
    ),
    "type-with-nul-escape": _b('{"type":"ClosingOccurred\\u0000","occurred_on":"2003-04-10"}'),
    "type-number": _b('{"type":5,"occurred_on":"2003-04-10"}'),
    "type-list": _b('{"type":["ClosingOccurred"],"occurred_on":"2003-04-10"}'),
    "type-unknown": _b('{"type":"EarnoutCancelledByMagic","occurred_on":"2003-04-10"}'),
    "type-derived": _b('{"type":"SharesSurrendered","occurred_on":"2003-04-10","claim_id":"C1","shares":5}'),
    "type-registered": _b('{"type":"AgreementRegistered","occurred_on":"2003-04-10"}'),
    "field-unknown": _b('{"type":"ClosingOccurred","occurred_on":"2003-04-10","venue":"SLC"}'),
    "field-recorded-at": _b('{"type":"ClosingOccurred","occurred_on":"2003-04-10","recorded_at":"2001-01-01"}'),
    "field-hash": _b('{"type":"ClosingOccurred","occurred_on":"2003-04-10","hash":"00"}'),
    "field-batch": _b('{"type":"ClosingOccurred","occurred_on":"2003-04-10","batch":"key:x"}'),
    "field-position": _b('{"type":"ClosingOccurred","occurred_on":"2003-04-10","originator_version":1}'),
    "duplicate-key": _b('{"type":"ClosingOccurred","occurred_on":"2003-04-10","occurred_on":"2003-04-11"}'),
    "missing-occurred-on": _b('{"type":"ClosingOccurred"}'),
    # structure and encoding
    "empty-input": b"",
    "only-whitespace-and-crlf": b"  \r\n\r\n\t\n",
    "only-bom": b"\xef\xbb\xbf",
    "bom-in-the-middle": _b(VALID) + b"\n\xef\xbb\xbf" + _b(VALID),
    "utf-16-with-bom": VALID.encode("utf-16"),
    "invalid-utf-8-byte": b'{"type":"ClosingOccurred","occurred_on":"2003-04-10\xff"}',
    "overlong-utf-8-slash": b'{"type":"ClosingOccurred","occurred_on":"2003\xc0\xaf04-10"}',
    "truncated-utf-8": _b(VALID) + b"\n\xe2\x82",
    "nul-byte-after-object": _b(VALID) + b"\x00",
    "nul-bytes-only": b"\x00" * 100,
    "deep-array-nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep-object-nesting": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "ten-megabyte-line": b'{"type":"ClosingOccurred","occurred_on":"2003-04-10","x":"' + b"a" * 10_000_000 + b'"}',
    "json-array-line": b"[1,2]",
    "json-string-line": b'"ClosingOccurred"',
    "json-null-line": b"null",
    "two-objects-one-line": _b(VALID + VALID),
    "trailing-comma": _b(VALID[:-1] + ",}"),
    "single-quotes": _b(VALID.replace('"', "'")),
    "comment-line": _b("// a comment\n" + VALID),
    "bad-line-after-3000-good": b"\n".join([_b(VALID)] * 3000 + [b"{"]),
    "good-lines-then-rule-violation": b"\n".join([_b(VALID)] * 10 + [_b(RELEASE % "25001")]),
    "cr-only-line-endings": _b(VALID + "\r" + VALID),
    "binary-garbage": bytes(range(256)) * 4,
}


TERMINAL_ESCAPES: dict[str, str] = {
    # what a terminal acts on, or what hides or reorders text (issue 18 item 5), in a user's string
    "osc-window-title": "\x1b]0;owned\x07",
    "osc-title-st": "\x1b]2;owned\x1b\\",
    "osc-8-hyperlink": "\x1b]8;;https://example.invalid/\x1b\\click\x1b]8;;\x1b\\",
    "csi-colour": "\x1b[31mred\x1b[0m",
    "csi-clear-screen": "\x1b[2J\x1b[H",
    "csi-cursor-up-erase-line": "\x1b[1A\x1b[2K",
    "csi-8-bit": "\x9b31m",
    "dcs": "\x1bPq#0\x1b\\",
    "nul": "a\x00b",
    "bell": "\x07",
    "backspaces": "paid\x08\x08\x08\x08owed",
    "carriage-return-overwrite": "approved\rrejected",
    "vertical-tab-form-feed": "\x0b\x0c",
    "delete": "\x7f",
    "right-to-left-override": "\u202eevil.exe",
    "left-to-right-override": "\u202d",
    "right-to-left-isolate": "\u2067x\u2069",
    "first-strong-isolate": "\u2068",
    "right-to-left-mark": "\u200f",
    "arabic-letter-mark": "\u061c",
    "zero-width-space-joiner": "\u200b\u200d",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
    "byte-order-mark": "\ufeff",
    "soft-hyphen": "\u00ad",
    "interlinear-annotation": "\ufff9x\ufffb",
}
