#!/usr/bin/env python3
"""Writes the PAC benchmark's inputs into DIR: four synthetic PAC files and two URL lists.

The files have the shapes of PAC files met in the wild, written from scratch for dapreflight
(nothing is copied from a public PAC):

  corporate.pac   ~5 KB: isPlainHostName, dnsDomainIs, shExpMatch, isInNet on IP literals and
                  on myIpAddress() (pass a client address to both tools), a URL-path rule
  domain-list.pac ~160 KB: a long domain list in one `||` chain of shExpMatch/dnsDomainIs calls,
                  as corporate allow-lists are exported
  lookup-table.pac ~660 KB: a big object literal `var domains = {"a.test":1, ...}` walked label
                  by label from the host's suffix, as GFW-list style generators emit
  if-ladder.pac   ~300 KB: one `if (...) return "...";` per rule, thousands of them, mixing host
                  compares, dnsDomainIs, shExpMatch on host and on url

and urls-1000.txt, urls-20000.txt: mixed http/https URLs with paths and queries, about half of
whose hosts appear in the lists.

No PAC here makes a name lookup: isInNet is only ever called on an IP literal or on
myIpAddress(), and there is no dnsResolve/isResolvable. Every host name ends in a reserved
top-level domain (.test, .example, .invalid), so even an accidental lookup would not leave the
machine with a real name. Output is deterministic (a fixed seed): the same bytes on every run.

Usage: generate.py DIR
"""

import os
import random
import sys

SEED = 20261130
TLDS = ["test", "example", "invalid", "co.test", "com.example", "net.test"]
SYLLABLES = [
    "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "bar", "cor", "dan", "fel", "gor",
    "hub", "jin", "kel", "lum", "mor", "nix", "pal", "quo", "rin", "sol", "tek", "ulm", "vox",
    "wen", "xor", "yap", "zen", "cloud", "data", "net", "web", "app", "cdn", "img", "api",
]


def label(rng, parts=None):
    parts = parts or rng.randint(2, 4)
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)) + (
        str(rng.randint(0, 99)) if rng.random() < 0.2 else ""
    )


def domain(rng):
    return f"{label(rng)}.{rng.choice(TLDS)}"


def unique_domains(rng, count, taken):
    found = []
    while len(found) < count:
        name = domain(rng)
        if name not in taken:
            taken.add(name)
            found.append(name)
    return found


def corporate(rng):
    intranet = [f".{label(rng)}.corp.test" for _ in range(20)]
    saas = [f"*.{d}" for d in unique_domains(rng, 70, set())]
    bypass = ",\n    ".join(
        ", ".join(f'"{s}"' for s in saas[i : i + 4]) for i in range(0, len(saas), 4)
    )
    domain_rules = "\n".join(
        f'    if (dnsDomainIs(host, "{d}"))\n        return "DIRECT";' for d in intranet
    )
    return f"""// Synthetic corporate PAC for dapreflight's benchmark (benches/pac/generate.py).
var PROXY_MAIN = "PROXY proxy1.corp.test:8080; PROXY proxy2.corp.test:8080; DIRECT";
var PROXY_BRANCH = "PROXY branch-proxy.corp.test:3128; PROXY proxy1.corp.test:8080";
var PROXY_UPDATES = "PROXY updates-proxy.corp.test:8080";
var saas = [
    {bypass}
];

function isIpLiteral(host) {{
    return /^\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}\\.\\d{{1,3}}$/.test(host);
}}

function FindProxyForURL(url, host) {{
    host = host.toLowerCase();
    if (isPlainHostName(host) || host == "localhost")
        return "DIRECT";
    if (dnsDomainIs(host, ".corp.test") || dnsDomainIs(host, ".corp.invalid"))
        return "DIRECT";
{domain_rules}
    if (isIpLiteral(host)) {{
        if (isInNet(host, "10.0.0.0", "255.0.0.0") ||
            isInNet(host, "172.16.0.0", "255.240.0.0") ||
            isInNet(host, "192.168.0.0", "255.255.0.0") ||
            isInNet(host, "127.0.0.0", "255.0.0.0"))
            return "DIRECT";
        return PROXY_MAIN;
    }}
    for (var i = 0; i < saas.length; i++) {{
        if (shExpMatch(host, saas[i]))
            return "DIRECT";
    }}
    if (shExpMatch(url, "*/download/*") || shExpMatch(url, "*.iso"))
        return PROXY_UPDATES;
    if (url.substring(0, 4) == "ftp:")
        return "PROXY ftp-proxy.corp.test:2121";
    if (isInNet(myIpAddress(), "10.20.0.0", "255.255.0.0"))
        return PROXY_BRANCH;
    return PROXY_MAIN;
}}
"""


def domain_list(rng, names):
    # One `||` chain per block of names, each term either a glob on host or a suffix compare.
    blocks = []
    for start in range(0, len(names), 400):
        terms = []
        for name in names[start : start + 400]:
            if rng.random() < 0.5:
                terms.append(f'shExpMatch(host, "*.{name}") || host == "{name}"')
            else:
                terms.append(f'dnsDomainIs(host, ".{name}") || host == "{name}"')
        chain = " ||\n        ".join(terms)
        blocks.append(f'    if ({chain})\n        return "PROXY list-proxy.corp.test:8080";')
    body = "\n".join(blocks)
    return f"""// Synthetic allow-list PAC for dapreflight's benchmark (benches/pac/generate.py).
function FindProxyForURL(url, host) {{
    if (isPlainHostName(host))
        return "DIRECT";
{body}
    return "DIRECT";
}}
"""


def lookup_table(names):
    table = ",\n".join(f'"{name}":1' for name in names)
    return f"""// Synthetic lookup-table PAC for dapreflight's benchmark (benches/pac/generate.py).
var proxy = "PROXY 127.0.0.1:1080; SOCKS5 127.0.0.1:1080; DIRECT";
var direct = "DIRECT";
var domains = {{
{table}
}};
var hasOwnProperty = Object.hasOwnProperty;

function FindProxyForURL(url, host) {{
    var suffix;
    var pos = host.lastIndexOf('.');
    pos = host.lastIndexOf('.', pos - 1);
    while (1) {{
        if (pos <= 0) {{
            if (hasOwnProperty.call(domains, host)) {{
                return proxy;
            }} else {{
                return direct;
            }}
        }}
        suffix = host.substring(pos + 1);
        if (hasOwnProperty.call(domains, suffix)) {{
            return proxy;
        }}
        pos = host.lastIndexOf('.', pos - 1);
    }}
}}
"""


def if_ladder(rng, names):
    rules = []
    for index, name in enumerate(names):
        target = f"PROXY p{index % 7}.corp.test:{8080 + index % 3}"
        roll = rng.random()
        if roll < 0.3:
            cond = f'host == "{name}"'
        elif roll < 0.6:
            cond = f'dnsDomainIs(host, ".{name}")'
        elif roll < 0.85:
            cond = f'shExpMatch(host, "*.{name}")'
        else:
            cond = f'shExpMatch(url, "http*://*.{name}/{label(rng, 1)}*")'
        rules.append(f'    if ({cond})\n        return "{target}";')
    body = "\n".join(rules)
    return f"""// Synthetic if-ladder PAC for dapreflight's benchmark (benches/pac/generate.py).
function FindProxyForURL(url, host) {{
{body}
    return "DIRECT";
}}
"""


def urls(rng, count, known):
    lines = []
    for _ in range(count):
        scheme = rng.choice(["http", "https"])
        roll = rng.random()
        if roll < 0.45:
            host = rng.choice(known)
            if rng.random() < 0.5:
                host = f"{label(rng, 1)}.{host}"
        elif roll < 0.9:
            host = domain(rng)
            if rng.random() < 0.5:
                host = f"{label(rng, 1)}.{host}"
        elif roll < 0.97:
            host = ".".join(str(rng.choice([10, 172, 192, 203])) if i == 0 else str(rng.randint(0, 255)) for i in range(4))
        else:
            host = label(rng, 2)
        port = f":{rng.choice([8080, 8443, 3000])}" if rng.random() < 0.05 else ""
        path = "/".join(label(rng, 1) for _ in range(rng.randint(1, 4)))
        query = f"?id={rng.randint(0, 99999)}&q={label(rng, 2)}" if rng.random() < 0.4 else ""
        lines.append(f"{scheme}://{host}{port}/{path}{query}")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    taken = set()
    list_names = unique_domains(rng, 1_950, taken)
    table_names = unique_domains(rng, 27_800, taken)
    ladder_names = unique_domains(rng, 3_300, taken)
    files = {
        "corporate.pac": corporate(rng),
        "domain-list.pac": domain_list(rng, list_names),
        "lookup-table.pac": lookup_table(table_names),
        "if-ladder.pac": if_ladder(rng, ladder_names),
    }
    known = list_names[::3] + table_names[::20] + ladder_names[::3]
    files["urls-1000.txt"] = urls(rng, 1_000, known)
    files["urls-20000.txt"] = urls(rng, 20_000, known)
    for name, text in files.items():
        with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as file:
            file.write(text)


if __name__ == "__main__":
    main()
