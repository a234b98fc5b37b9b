// Differential fixture (synthetic): Microsoft's FindProxyForURLEx, which Windows and pacparser
// call instead of FindProxyForURL when it is defined. IP-literal hosts only (no DNS).
function FindProxyForURL(url, host) {
    return "PROXY legacy.corp.example:8080";
}

function FindProxyForURLEx(url, host) {
    var v6 = host.indexOf(":") >= 0;
    var v4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
    if (!v4 && !v6)
        return "PROXY names.corp.example:8080";
    if (isInNetEx(host, "10.0.0.0/8") || isInNetEx(host, "fd00::/8"))
        return "DIRECT";
    if (isInNetEx(host, "192.168.0.0/16"))
        return "PROXY lan.corp.example:8080; DIRECT";
    if (isInNetEx(host, "2001:db8::/32"))
        return "PROXY doc6.corp.example:8080";
    return "PROXY ex.corp.example:8080; " + dnsResolveEx(host);
}
