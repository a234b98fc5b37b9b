// Differential fixture (synthetic): helpers where dapreflight follows Windows and pactester
// does not. Each result is listed with its reason in tests/it/pac.rs (ALLOWED_DIFFERENCES).
function FindProxyForURL(url, host) {
    if (host == "unresolvable.example")
        // Windows (IE lineage) answers false for a failed lookup; pacparser answers null.
        return "PROXY p.corp.example:8080; " + dnsResolve("dapreflight-pac-test.invalid");
    return "DIRECT";
}
