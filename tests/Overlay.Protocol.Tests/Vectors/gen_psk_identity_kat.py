#!/usr/bin/env python3
"""Generate psk-identity-kat.json: known answers for the PSK identity derivation (DESIGN.md §4).

  static_private(psk, self_id, peer_id) =
      clamp(BLAKE2s-256(key = psk, msg = b"subnetra-wg-v1-static" || u32_be(self_id) || u32_be(peer_id)))
  static_public = X25519(static_private, 9)

This is an independent implementation of the derivation, for checking the C# code: it uses
Python's hashlib.blake2s and a pure-Python X25519 Montgomery ladder written from RFC 7748 §5,
which is checked against the RFC 7748 §5.2 and §6.1 vectors before anything is written.
Standard library only. Run:  python3 gen_psk_identity_kat.py  (writes next to this script).
"""

import base64
import hashlib
import json
import os
import struct

LABEL = b"subnetra-wg-v1-static"  # 21 ASCII bytes, no NUL
assert len(LABEL) == 21

P = 2**255 - 19
A24 = 121665


def decode_scalar(k: bytes) -> int:
    # RFC 7748 §5 decodeScalar25519.
    b = bytearray(k)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return int.from_bytes(b, "little")


def decode_u(u: bytes) -> int:
    # RFC 7748 §5 decodeUCoordinate: mask the top bit.
    b = bytearray(u)
    b[31] &= 127
    return int.from_bytes(b, "little") % P


def x25519(k: bytes, u: bytes) -> bytes:
    # RFC 7748 §5 Montgomery ladder, written as in the RFC's pseudocode.
    k_int = decode_scalar(k)
    x1 = decode_u(u)
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    for t in reversed(range(255)):
        k_t = (k_int >> t) & 1
        swap ^= k_t
        if swap:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = k_t
        a = (x2 + z2) % P
        aa = a * a % P
        b = (x2 - z2) % P
        bb = b * b % P
        e = (aa - bb) % P
        c = (x3 + z3) % P
        d = (x3 - z3) % P
        da = d * a % P
        cb = c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + A24 * e) % P
    if swap:
        x2, x3 = x3, x2
        z2, z3 = z3, z2
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


BASE = (9).to_bytes(32, "little")


def self_check() -> None:
    h = bytes.fromhex
    # RFC 7748 §5.2, first vector.
    assert x25519(h("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                  h("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")) == \
        h("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    # RFC 7748 §6.1.
    a_sk = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    b_sk = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    a_pk = x25519(a_sk, BASE)
    b_pk = x25519(b_sk, BASE)
    assert a_pk == h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert b_pk == h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    assert x25519(a_sk, b_pk) == shared and x25519(b_sk, a_pk) == shared
    # RFC 7693 Appendix B, so the keyed BLAKE2s below is the right function.
    assert hashlib.blake2s(b"abc").hexdigest() == \
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"


def clamp(k: bytes) -> bytes:
    b = bytearray(k)
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return bytes(b)


def static_private(psk: bytes, self_id: int, peer_id: int) -> bytes:
    assert len(psk) == 32
    msg = LABEL + struct.pack(">II", self_id, peer_id)
    return clamp(hashlib.blake2s(msg, key=psk, digest_size=32).digest())


def main() -> None:
    self_check()

    psk_seq = bytes(range(32))                                      # 00 01 .. 1f
    psk_ff = b"\xff" * 32
    psk_text = b"This is my Austrian perspective!"                  # 32 ASCII bytes
    assert len(psk_text) == 32
    cases = [
        (psk_seq, 1, 2),
        (psk_seq, 2, 1),            # the same link seen from the other end
        (psk_seq, 1, 65535),        # edge ids
        (psk_seq, 65535, 1),
        (psk_ff, 0, 4294967295),    # u32 extremes
        (psk_ff, 4294967295, 0),
        (psk_text, 100, 7),
        (psk_text, 7, 100),
        (bytes(32), 1, 1),          # all-zero PSK, self == peer
    ]

    out = []
    for psk, self_id, peer_id in cases:
        sk = static_private(psk, self_id, peer_id)
        pk = x25519(sk, BASE)
        out.append({
            "psk": psk.hex(),
            "self_id": self_id,
            "peer_id": peer_id,
            "private_key": sk.hex(),
            "public_key": pk.hex(),
            "public_key_b64": base64.b64encode(pk).decode("ascii"),
        })

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "psk-identity-kat.json")
    with open(path, "w", encoding="ascii") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"wrote {len(out)} vectors to {path}")


if __name__ == "__main__":
    main()
