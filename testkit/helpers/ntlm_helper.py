#!/usr/bin/env python3
"""A Squid NTLM authentication helper that verifies NTLMv2 proofs against one known account.

Written for dapreflight's tests from MS-NLMP (§2.2.1, §3.3.2) and Squid's helper protocol
(https://wiki.squid-cache.org/Features/AddonHelpers#negotiate-and-ntlm-scheme): Squid writes
`YR <type 1>` and expects `TT <type 2>`, then `KK <type 3>` and expects `AF <user>` or `NA <why>`.
Squid's `negotiate_wrapper_auth --ntlm` forwards raw NTLMSSP carried by `Negotiate` here too.

Modes (`--mode`):
  verify   a full type 2 (NetBIOS domain and computer names, a timestamp); the type 3's NTLMv2
           proof is recomputed from --password: right → AF, wrong → NA
  v1-only  a type 2 that offers neither NTLM nor extended session security (LM only)
  loop     answers every type 3 with a new challenge (TT), so the proxy asks again and again

Python's hashlib has no MD4 under OpenSSL 3, so MD4 (RFC 1320) is written out below.
Every request is logged to --log (one line each) so a test can read what was proven.
"""

import argparse
import base64
import hmac
import os
import struct
import sys
import time

MASK = 0xFFFFFFFF


def md4(data: bytes) -> bytes:
    """RFC 1320."""

    def rotl(x, n):
        return ((x << n) | (x >> (32 - n))) & MASK

    message = bytearray(data)
    bit_length = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    message.append(0x80)
    while len(message) % 64 != 56:
        message.append(0)
    message += struct.pack("<Q", bit_length)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(message), 64):
        x = struct.unpack("<16I", message[offset : offset + 64])
        aa, bb, cc, dd = a, b, c, d
        f = lambda x_, y, z: (x_ & y) | (~x_ & z)
        g = lambda x_, y, z: (x_ & y) | (x_ & z) | (y & z)
        h = lambda x_, y, z: x_ ^ y ^ z
        for i in range(16):
            k, s = i, (3, 7, 11, 19)[i % 4]
            if i % 4 == 0:
                a = rotl((a + f(b, c, d) + x[k]) & MASK, s)
            elif i % 4 == 1:
                d = rotl((d + f(a, b, c) + x[k]) & MASK, s)
            elif i % 4 == 2:
                c = rotl((c + f(d, a, b) + x[k]) & MASK, s)
            else:
                b = rotl((b + f(c, d, a) + x[k]) & MASK, s)
        for i in range(16):
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            if i % 4 == 0:
                a = rotl((a + g(b, c, d) + x[k] + 0x5A827999) & MASK, s)
            elif i % 4 == 1:
                d = rotl((d + g(a, b, c) + x[k] + 0x5A827999) & MASK, s)
            elif i % 4 == 2:
                c = rotl((c + g(d, a, b) + x[k] + 0x5A827999) & MASK, s)
            else:
                b = rotl((b + g(c, d, a) + x[k] + 0x5A827999) & MASK, s)
        order = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)
        for i in range(16):
            k, s = order[i], (3, 9, 11, 15)[i % 4]
            if i % 4 == 0:
                a = rotl((a + h(b, c, d) + x[k] + 0x6ED9EBA1) & MASK, s)
            elif i % 4 == 1:
                d = rotl((d + h(a, b, c) + x[k] + 0x6ED9EBA1) & MASK, s)
            elif i % 4 == 2:
                c = rotl((c + h(d, a, b) + x[k] + 0x6ED9EBA1) & MASK, s)
            else:
                b = rotl((b + h(c, d, a) + x[k] + 0x6ED9EBA1) & MASK, s)
        a, b, c, d = (a + aa) & MASK, (b + bb) & MASK, (c + cc) & MASK, (d + dd) & MASK
    return struct.pack("<4I", a, b, c, d)


assert md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d", "MD4 self-test (RFC 1320)"

NEGOTIATE_UNICODE = 0x00000001
REQUEST_TARGET = 0x00000004
NEGOTIATE_NTLM = 0x00000200
TARGET_TYPE_DOMAIN = 0x00010000
EXTENDED_SESSIONSECURITY = 0x00080000
TARGET_INFO = 0x00800000


def utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def av_pair(av_id: int, value: bytes) -> bytes:
    return struct.pack("<HH", av_id, len(value)) + value


def challenge_message(mode: str, domain: str, server_challenge: bytes) -> bytes:
    if mode == "v1-only":
        flags = NEGOTIATE_UNICODE | REQUEST_TARGET | 0x00000080  # NEGOTIATE_LM_KEY only
        target_info = b""
    else:
        flags = (
            NEGOTIATE_UNICODE
            | REQUEST_TARGET
            | NEGOTIATE_NTLM
            | TARGET_TYPE_DOMAIN
            | EXTENDED_SESSIONSECURITY
            | TARGET_INFO
        )
        filetime = int((time.time() + 11644473600) * 10_000_000)
        target_info = (
            av_pair(2, utf16(domain))  # MsvAvNbDomainName
            + av_pair(1, utf16("PROXY"))  # MsvAvNbComputerName
            + av_pair(7, struct.pack("<Q", filetime))  # MsvAvTimestamp
            + av_pair(0, b"")  # MsvAvEOL
        )
    target_name = utf16(domain)
    header_length = 56
    name_offset = header_length
    info_offset = name_offset + len(target_name)
    return (
        b"NTLMSSP\0"
        + struct.pack("<I", 2)
        + struct.pack("<HHI", len(target_name), len(target_name), name_offset)
        + struct.pack("<I", flags)
        + server_challenge
        + bytes(8)
        + struct.pack("<HHI", len(target_info), len(target_info), info_offset)
        + bytes(8)  # version
        + target_name
        + target_info
    )


def field(message: bytes, at: int) -> bytes:
    length, _, offset = struct.unpack_from("<HHI", message, at)
    if offset + length > len(message):
        raise ValueError("a security buffer lies outside the message")
    return message[offset : offset + length]


def verify(message: bytes, server_challenge: bytes, user: str, password: str):
    """Returns (ok, who): whether the type 3's NTLMv2 proof is right for --user/--password."""
    if message[:8] != b"NTLMSSP\0" or struct.unpack_from("<I", message, 8)[0] != 3:
        return False, "not a type 3 message"
    nt_response = field(message, 20)
    domain = field(message, 28).decode("utf-16-le", "replace")
    name = field(message, 36).decode("utf-16-le", "replace")
    who = f"{domain}\\{name}" if domain else name
    if len(nt_response) <= 24:
        return False, f"{who} sent an NTLMv1 response"
    if name.lower() != user.lower():
        return False, f"{who} is not the expected account"
    nt_hash = md4(utf16(password))
    ntowf_v2 = hmac.new(nt_hash, utf16(name.upper() + domain), "md5").digest()
    proof = hmac.new(ntowf_v2, server_challenge + nt_response[16:], "md5").digest()
    if not hmac.compare_digest(proof, nt_response[:16]):
        return False, f"{who}: the NTLMv2 proof does not match the password"
    return True, who


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="verify", choices=["verify", "v1-only", "loop"])
    parser.add_argument("--user", default="")
    parser.add_argument("--domain", default="CORP")
    parser.add_argument("--password", default="")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    server_challenge = os.urandom(8)
    with open(args.log, "a", encoding="utf-8") as log:
        for line in sys.stdin:
            command, _, token = line.strip().partition(" ")
            try:
                blob = base64.b64decode(token) if token else b""
            except ValueError:
                blob = b""
            if command == "YR" or (command == "KK" and args.mode == "loop"):
                server_challenge = os.urandom(8)
                answer = challenge_message(args.mode, args.domain, server_challenge)
                reply = "TT " + base64.b64encode(answer).decode()
                log.write(f"{command} -> TT\n")
            elif command == "KK":
                ok, who = verify(blob, server_challenge, args.user, args.password)
                reply = f"AF {who}" if ok else f"NA {who}"
                log.write(f"KK -> {'AF' if ok else 'NA'} {who}\n")
            else:
                reply = "BH unknown request"
                log.write(f"{command} -> BH\n")
            log.flush()
            sys.stdout.write(reply + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
