// Differential fixture (synthetic): rules on the URL path and query, which Windows and pactester
// see in full; Chromium-based browsers see only https://host/ for https URLs.
function FindProxyForURL(url, host) {
    if (shExpMatch(url, "https://*/OneCollector/*"))
        return "PROXY collector-proxy.corp.example:8080";
    if (shExpMatch(url, "*?debug=1*"))
        return "DIRECT";
    if (url.indexOf("/ping") >= 0)
        return "PROXY ping-proxy.corp.example:8080; DIRECT";
    return "PROXY p.corp.example:8080";
}
