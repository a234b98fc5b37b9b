#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the test fixtures (testdata/, endpoints.yaml, roots/).

Run from anywhere: `python3 fuzz/seed.py`. Existing corpus files are kept (libFuzzer adds its
own); seeds are named by the fixture they came from. Hex fixtures (`#` comments, hex bytes) are
decoded to the blob they describe; base64 fixtures (NTLM messages) likewise; PEM roots to DER.
"""
import base64
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def hex_blob(path):
    text = "\n".join(l for l in path.read_text().splitlines() if not l.lstrip().startswith("#"))
    return bytes.fromhex("".join(re.findall(r"[0-9A-Fa-f]{2}", text)))


def b64_blob(path):
    text = "".join(l for l in path.read_text().splitlines() if not l.lstrip().startswith("#"))
    return base64.b64decode(text)


def pem_ders(path):
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                        path.read_text(), re.S)
    return [base64.b64decode("".join(b.split())) for b in blocks]


def seeds():
    data = ROOT / "testdata"
    files = lambda pattern: sorted(data.glob(pattern))
    yield "reg_export", [(p.name, p.read_bytes()) for p in files("registry/*.reg") + files("settings/*.reg")]
    yield "netsh", [(p.name, p.read_bytes()) for p in files("netsh/*")]
    yield "winhttp_blob", [(p.name, hex_blob(p)) for p in files("winhttp/*.hex")]
    yield "utc_report", [(p.name, p.read_bytes()) for p in files("utc/*.xml")]
    yield "wininet_blob", [(p.name, hex_blob(p)) for p in files("wininet/*.hex")]
    yield "catalog_yaml", [("endpoints.yaml", (ROOT / "endpoints.yaml").read_bytes()),
                           ("minimal.yaml", b"endpoints:\n  - url: https://a.test/\n")]
    pacs = files("pac/*.pac")
    yield "pac_script", [(p.name, p.read_bytes()) for p in pacs]
    results = set()
    for p in pacs:
        results.update(re.findall(r'return\s+"([^"]*)"', p.read_text(errors="replace")))
    results.update(["PROXY a:8080; DIRECT", "HTTPS b.test:443;SOCKS5 [::1]:1080", "", "  ;;",
                    "PROXY [2001:db8::1]:3128", "direct"])
    yield "pac_result", [(f"result{i}", r.encode()) for i, r in enumerate(sorted(results))]
    yield "proxy_authenticate", [(f"challenge{i}", c.encode()) for i, c in enumerate([
        "Negotiate", "NTLM, Basic realm=\"corp\"", "Basic realm=\"a, b\", charset=\"UTF-8\"",
        "Digest realm=\"x\", qop=\"auth\", nonce=\"abc\", Basic realm=\"y\"",
        "Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag==", "Bearer error=\"invalid\\\"quote\", NTLM"])]
    yield "response_head", [(f"head{i}", h) for i, h in enumerate([
        b"HTTP/1.1 200 Connection established\r\nProxy-Agent: squid\r\n\r\n",
        b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"c\"\r\n"
        b"Content-Length: 5\r\nConnection: keep-alive\r\n\r\nabcde",
        b"HTTP/1.0 403 Forbidden for YWxpY2U6cGE1NTp3MHJk\r\nVia: 1.1 alice:pa55:w0rd\r\n\r\n",
        b"\x16\x03\x01garbage, not HTTP\r\n\r\n"])]
    yield "ntlm_challenge", [(p.name, b64_blob(p)) for p in files("ntlm/*.b64")]
    yield "certificate", [(f"{p.stem}-{i}.der", der) for p in sorted((ROOT / "roots").glob("*.pem"))
                          for i, der in enumerate(pem_ders(p))]


def main():
    for target, items in seeds():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in items:
            (folder / f"seed-{name}").write_bytes(content)
        print(f"{target}: {len(items)} seeds")


if __name__ == "__main__":
    main()
