// A typical corporate PAC (synthetic): intranet names, RFC 1918 ranges on IP literals,
// SaaS exceptions, a path rule, branch-office routing on myIpAddress().
var PROXY_MAIN = "PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:8080; DIRECT";
var PROXY_BRANCH = "PROXY branch-proxy.corp.example:3128; PROXY proxy1.corp.example:8080";
var saas = [
    "*.office365.com", "*.sharepoint.com", "*.teams.microsoft.com", "*.zoom.us",
    "*.salesforce.com", "*.webex.com", "*.okta.com", "*.slack.com", "*.box.com",
    "*.servicenow.com"
];

function isIpLiteral(host) {
    return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function FindProxyForURL(url, host) {
    if (isPlainHostName(host) || host == "localhost")
        return "DIRECT";
    if (dnsDomainIs(host, ".corp.example") || dnsDomainIs(host, ".corp.internal"))
        return "DIRECT";
    if (localHostOrDomainIs(host, "intranet.corp.example"))
        return "DIRECT";
    if (isIpLiteral(host)) {
        if (isInNet(host, "10.0.0.0", "255.0.0.0") ||
            isInNet(host, "172.16.0.0", "255.240.0.0") ||
            isInNet(host, "192.168.0.0", "255.255.0.0") ||
            isInNet(host, "127.0.0.0", "255.0.0.0"))
            return "DIRECT";
    }
    for (var i = 0; i < saas.length; i++) {
        if (shExpMatch(host, saas[i]))
            return "DIRECT";
    }
    if (url.substring(0, 5) == "ftp:/")
        return "PROXY ftp-proxy.corp.example:2121";
    if (shExpMatch(url, "*/OneCollector/*") || shExpMatch(host, "*.events.data.microsoft.com"))
        return "PROXY telemetry-proxy.corp.example:8080; DIRECT";
    if (shExpMatch(host, "*.windowsupdate.com") || dnsDomainIs(host, ".update.microsoft.com"))
        return "PROXY wsus-proxy.corp.example:8080";
    if (dnsDomainLevels(host) > 4)
        return "PROXY deep-proxy.corp.example:8080";
    if (isInNet(myIpAddress(), "10.20.0.0", "255.255.0.0"))
        return PROXY_BRANCH;
    if (weekdayRange("SUN", "SAT") && dateRange("JAN", "DEC"))
        return PROXY_MAIN;
    return "DIRECT";
}
