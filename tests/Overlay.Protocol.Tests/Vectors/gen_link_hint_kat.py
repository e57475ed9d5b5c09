#!/usr/bin/env python3
"""Generate link-hint-kat.json: known answers for the link hint (DESIGN.md §4, docs/link-hint.md).

  hint_key = BLAKE2s-256(key = psk, msg = b"subnetra-wg-v1-hint-key" || u32_be(initiator_id) || u32_be(responder_id))
  bucket   = floor(unix_seconds / 120)
  tag      = BLAKE2s-256(key = hint_key, msg = b"subnetra-wg-v1-hint" || u64_be(bucket))
  hint     = u32_be(tag[0:4]) >> 4                       (28 bits)
  index    = (hint << 4) | low, low in 0..15, index != 0  (the u32 sender_index, sent little-endian)

An independent implementation for checking the C# code (src/Protocol/Noise/LinkHint.cs): Python's
hashlib.blake2s, self-checked against RFC 7693 Appendix B and the BLAKE2 reference keyed vector.
Standard library only. Run:  python3 gen_link_hint_kat.py  (writes next to this script).
"""

import hashlib
import json
import os
import struct

KEY_LABEL = b"subnetra-wg-v1-hint-key"  # 23 ASCII bytes, no NUL
TAG_LABEL = b"subnetra-wg-v1-hint"      # 19 ASCII bytes, no NUL
BUCKET_SECONDS = 120
LOW_BITS = 4
assert len(KEY_LABEL) == 23 and len(TAG_LABEL) == 19


def self_check() -> None:
    # RFC 7693 Appendix B.
    assert hashlib.blake2s(b"abc").hexdigest() == \
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"
    # BLAKE2 reference blake2s-kat.txt, keyed, empty input; key = 00 01 .. 1f.
    assert hashlib.blake2s(b"", key=bytes(range(32))).hexdigest() == \
        "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"


def hint_key(psk: bytes, initiator_id: int, responder_id: int) -> bytes:
    assert len(psk) == 32
    return hashlib.blake2s(KEY_LABEL + struct.pack(">II", initiator_id, responder_id),
                           key=psk, digest_size=32).digest()


def bucket(unix_seconds: int) -> int:
    return 0 if unix_seconds <= 0 else unix_seconds // BUCKET_SECONDS


def hint(key: bytes, b: int) -> int:
    tag = hashlib.blake2s(TAG_LABEL + struct.pack(">Q", b), key=key, digest_size=32).digest()
    return struct.unpack(">I", tag[:4])[0] >> LOW_BITS


def main() -> None:
    self_check()

    psk_seq = bytes(range(32))
    psk_ff = b"\xff" * 32
    psk_text = b"This is my Austrian perspective!"
    assert len(psk_text) == 32
    cases = [
        # psk, initiator, responder, unix seconds, low
        (psk_seq, 2, 1, 1_780_000_000, 0),
        (psk_seq, 2, 1, 1_780_000_079, 5),        # last second of the same bucket (starts 1_779_999_960)
        (psk_seq, 2, 1, 1_780_000_080, 15),       # first second of the next bucket
        (psk_seq, 1, 2, 1_780_000_000, 7),        # the other direction of the same link
        (psk_seq, 65535, 1, 0, 1),                # bucket 0
        (psk_ff, 4294967295, 0, 4_102_444_800, 9),  # u32 extremes, year 2100
        (psk_text, 100, 7, 1_764_806_400, 3),
        (bytes(32), 1, 1, 119, 12),               # all-zero PSK, end of bucket 0
        (bytes(32), 1, 1, 120, 12),               # start of bucket 1
    ]

    out = []
    for psk, ini, resp, secs, low in cases:
        k = hint_key(psk, ini, resp)
        b = bucket(secs)
        h = hint(k, b)
        index = ((h << LOW_BITS) | low) & 0xFFFFFFFF
        out.append({
            "psk": psk.hex(),
            "initiator_id": ini,
            "responder_id": resp,
            "hint_key": k.hex(),
            "unix_seconds": secs,
            "bucket": b,
            "hint": h,
            "low": low,
            "sender_index": index,
            "sender_index_wire": struct.pack("<I", index).hex(),
        })

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "link-hint-kat.json")
    with open(path, "w", encoding="ascii") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"wrote {len(out)} vectors to {path}")


if __name__ == "__main__":
    main()
