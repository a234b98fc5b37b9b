// Differential fixture (synthetic): result strings in every shape clients must parse.
function FindProxyForURL(url, host) {
    if (host == "empty.example") return "";
    if (host == "lower.example") return "proxy p.corp.example:8080; direct";
    if (host == "spaces.example") return "  PROXY  p.corp.example:8080 ;  DIRECT  ";
    if (host == "socks.example") return "SOCKS s.corp.example:1080; SOCKS5 s5.corp.example:1080";
    if (host == "https.example") return "HTTPS tls-proxy.corp.example:443; PROXY p.corp.example:8080";
    if (host == "noport.example") return "PROXY p.corp.example";
    if (host == "v6.example") return "PROXY [2001:db8::8]:8080";
    if (host == "10.9.8.7") return "PROXY " + dnsResolve(host) + ":3128";
    return "PROXY p.corp.example:8080; DIRECT";
}
