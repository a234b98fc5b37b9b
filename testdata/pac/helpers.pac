// Differential fixture (synthetic): reports each helper's answer for the URL, so any difference
// in a helper between dapreflight and pactester shows in the result string.
function FindProxyForURL(url, host) {
    var literal = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
    return [
        "plain=" + isPlainHostName(host),
        "dom=" + dnsDomainIs(host, ".corp.example"),
        "dom2=" + dnsDomainIs(host, "corp.example"),
        "local=" + localHostOrDomainIs(host, "www.corp.example"),
        "levels=" + dnsDomainLevels(host),
        "glob1=" + shExpMatch(url, "*corp.example*"),
        "glob2=" + shExpMatch(host, "w?w.*"),
        "glob3=" + shExpMatch(url, "http://*/a/*"),
        "conv=" + convert_addr("192.168.1.1"),
        "conv2=" + convert_addr("10.0.0.1"),
        "net8=" + (literal && isInNet(host, "10.0.0.0", "255.0.0.0")),
        "net12=" + (literal && isInNet(host, "172.16.0.0", "255.240.0.0")),
        "net32=" + (literal && isInNet(host, "10.1.2.3", "255.255.255.255")),
        "odd=" + (literal && isInNet(host, "10.0.2.0", "255.0.255.0")),
        "me=" + myIpAddress(),
        "menet=" + isInNet(myIpAddress(), "10.20.0.0", "255.255.0.0"),
        "res=" + (literal ? dnsResolve(host) : "-"),
        "resolvable=" + (literal ? isResolvable(host) : "-"),
        "wd=" + weekdayRange("SUN", "SAT"),
        "wdgmt=" + weekdayRange("SUN", "SAT", "GMT"),
        "dr=" + dateRange("JAN", "DEC"),
        "dr2=" + dateRange(1, 31),
        "dr3=" + dateRange(1970, 2999, "GMT")
    ].join(" ");
}
