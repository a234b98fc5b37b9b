//! Which TLS inspection product a certificate name points to.
//!
//! A table of the names inspection CAs really carry; it names a product, it proves nothing.

/// How a pattern is matched against one lower-cased name (a CN, O or OU value).
#[derive(Clone, Copy, Debug)]
enum Pattern {
    /// Anywhere in the name: for strings no ordinary CA name contains.
    Contains(&'static str),
    /// As a whole word (neighbours are not letters or digits): for short or common words,
    /// so "cisco" does not match "San Francisco".
    Word(&'static str),
    /// The whole name is this prefix and then a device serial number (letters and digits, at
    /// least one digit), like the per-device `FortiGate` CA `CN=FGT60D4613059221`.
    Serial(&'static str),
}

use Pattern::{Contains, Serial, Word};

/// One product and the name patterns of its inspection CAs.
#[derive(Debug)]
struct Vendor {
    product: &'static str,
    patterns: &'static [Pattern],
}

/// Inspection products, most specific first (Cisco Umbrella before Cisco).
///
/// Names were taken from certificates seen in public bug reports and vendor documentation; the
/// comment on each entry gives the subject as seen. None of these may match a genuine Microsoft,
/// `DigiCert` or Baltimore chain (`genuine_chains_name_no_product` checks this), so no pattern
/// contains "microsoft", and public CAs a vendor also runs (Cloudflare's "Cloudflare Inc ECC
/// CA-3", Symantec's "Symantec Class 3 Secure Server CA") are deliberately not matched.
const VENDORS: &[Vendor] = &[
    // `CN=Zscaler Root CA, O=Zscaler Inc.`; `CN=Zscaler Intermediate Root CA (zscalerthree.net) (t)`.
    Vendor {
        product: "Zscaler",
        patterns: &[Contains("zscaler")],
    },
    // PAN-OS SSL forward proxy: the "Forward Trust" and "Forward Untrust" certificates (PAN-OS
    // admin guide, "Configure SSL Forward Proxy"); Prisma Access certificates carry the company.
    Vendor {
        product: "Palo Alto Networks",
        patterns: &[
            Contains("palo alto networks"),
            Contains("paloaltonetworks"),
            Word("forward-trust"),
            Word("forward trust"),
            Word("forward-untrust"),
            Word("forward untrust"),
            Word("prisma access"),
        ],
    },
    // `O=Fortinet, OU=Certificate Authority, CN=FGT60D4613059221` (Fortinet_CA_SSL, per device);
    // `CN=FortiGate CA`; FortiProxy and VM serials start FPX / FGVM.
    Vendor {
        product: "Fortinet FortiGate",
        patterns: &[
            Contains("fortinet"),
            Contains("fortigate"),
            Contains("fortiproxy"),
            Serial("fgt"),
            Serial("fgvm"),
            Serial("fpx"),
        ],
    },
    // Blue Coat ProxySG, later Symantec / Broadcom Edge SWG and Web Security Service.
    Vendor {
        product: "Blue Coat / Symantec ProxySG",
        patterns: &[
            Contains("blue coat"),
            Contains("bluecoat"),
            Contains("proxysg"),
            Word("edge swg"),
            Contains("symantec web security service"),
        ],
    },
    // `CN=caadmin.netskope.com, O=Netskope`; tenant CAs `ca.<tenant>.goskope.com`.
    Vendor {
        product: "Netskope",
        patterns: &[Contains("netskope"), Contains("goskope")],
    },
    // `CN=Forcepoint Cloud CA`; on-premises Websense Content Gateway.
    Vendor {
        product: "Forcepoint (Websense)",
        patterns: &[Contains("forcepoint"), Contains("websense")],
    },
    // `O=Cisco, CN=Cisco Umbrella Root CA` (and "Cisco Umbrella Secondary SubCA"); OpenDNS before
    // the rebrand.
    Vendor {
        product: "Cisco Umbrella",
        patterns: &[Word("cisco umbrella"), Word("opendns")],
    },
    // Cisco Secure Web Appliance, formerly IronPort Web Security Appliance.
    Vendor {
        product: "Cisco Secure Web Appliance (IronPort)",
        patterns: &[Contains("ironport"), Word("web security appliance")],
    },
    Vendor {
        product: "Cisco",
        patterns: &[Word("cisco")],
    },
    // `CN=Sophos SSL CA_C320ABPCBJ8BQ6B, O=Sophos` (SecurityAppliance_SSL_CA, Sophos Firewall and
    // UTM).
    Vendor {
        product: "Sophos",
        patterns: &[Word("sophos"), Contains("securityappliance_ssl_ca")],
    },
    // Check Point HTTPS Inspection.
    Vendor {
        product: "Check Point",
        patterns: &[Word("check point"), Word("checkpoint")],
    },
    // `CN=mitmproxy, O=mitmproxy` (mitmproxy's generated CA).
    Vendor {
        product: "mitmproxy",
        patterns: &[Contains("mitmproxy")],
    },
    // `CN=DO_NOT_TRUST_FiddlerRoot, O=DO_NOT_TRUST, OU=Created by http://www.fiddler2.com`;
    // Fiddler Everywhere: "Fiddler Root Certificate Authority".
    Vendor {
        product: "Fiddler",
        patterns: &[Contains("fiddler")],
    },
    // `CN=Charles Proxy CA (<date>, <host>), OU=https://charlesproxy.com/ssl, O=XK72 Ltd`.
    Vendor {
        product: "Charles Proxy",
        patterns: &[
            Contains("charles proxy"),
            Contains("charlesproxy"),
            Word("xk72"),
        ],
    },
    // `CN=PortSwigger CA, OU=PortSwigger CA, O=PortSwigger` (Burp Suite).
    Vendor {
        product: "Burp Suite",
        patterns: &[Contains("portswigger"), Word("burp suite")],
    },
    Vendor {
        product: "HTTP Toolkit",
        patterns: &[Word("http toolkit")],
    },
    Vendor {
        product: "Menlo Security",
        patterns: &[Word("menlo security")],
    },
    Vendor {
        product: "iboss",
        patterns: &[Word("iboss")],
    },
    // Barracuda Web Security Gateway and CloudGen Firewall.
    Vendor {
        product: "Barracuda",
        patterns: &[Word("barracuda")],
    },
    // `CN=McAfee Web Gateway, O=McAfee, Inc.`; now Skyhigh Secure Web Gateway; Webwasher before.
    Vendor {
        product: "McAfee / Skyhigh Web Gateway",
        patterns: &[Word("mcafee"), Word("skyhigh"), Contains("webwasher")],
    },
    // `CN=Kaspersky Anti-Virus Personal Root Certificate, O=AO Kaspersky Lab`.
    Vendor {
        product: "Kaspersky",
        patterns: &[Contains("kaspersky")],
    },
    // `CN=ESET SSL Filter CA, O=ESET, spol. s r. o.`.
    Vendor {
        product: "ESET",
        patterns: &[Word("eset")],
    },
    // `CN=Avast Web/Mail Shield Root`, `CN=AVG Web/Mail Shield Root`, `CN=Norton Web/Mail Shield
    // Root, OU=generated by Norton Antivirus for SSL/TLS scanning` (one Gen Digital engine).
    Vendor {
        product: "Avast / AVG / Norton antivirus",
        patterns: &[
            Contains("web/mail shield"),
            Word("avast"),
            Word("avg"),
            Word("norton"),
        ],
    },
    // `CN=Bitdefender Personal CA.Net-Defender, O=Bitdefender`.
    Vendor {
        product: "Bitdefender",
        patterns: &[Contains("bitdefender")],
    },
    // Cloudflare Zero Trust: `CN=Gateway CA - Cloudflare Managed G1 <account id>`.
    Vendor {
        product: "Cloudflare Gateway",
        patterns: &[
            Contains("gateway ca - cloudflare"),
            Contains("cloudflare managed"),
            Contains("cloudflare for teams"),
        ],
    },
    // Trend Micro InterScan Web Security (IWSVA) and Deep Discovery.
    Vendor {
        product: "Trend Micro",
        patterns: &[Word("trend micro"), Word("iwsva")],
    },
    Vendor {
        product: "WatchGuard",
        patterns: &[Contains("watchguard")],
    },
    // SonicWall DPI-SSL: `CN=SonicWall Firewall DPI-SSL`.
    Vendor {
        product: "SonicWall",
        patterns: &[Contains("sonicwall"), Word("dpi-ssl")],
    },
    // School web filters.
    Vendor {
        product: "Lightspeed Systems",
        patterns: &[Word("lightspeed systems")],
    },
    Vendor {
        product: "Securly",
        patterns: &[Word("securly")],
    },
    Vendor {
        product: "Cato Networks",
        patterns: &[Word("cato networks")],
    },
    Vendor {
        product: "Untangle",
        patterns: &[Word("untangle")],
    },
];

/// The inspection product whose CA names appear among `names` (CN, O and OU values), if any.
///
/// Matching ignores case. The first product in the table that matches wins.
#[must_use]
pub(crate) fn identify_product<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Option<&'static str> {
    let names: Vec<String> = names.into_iter().map(str::to_lowercase).collect();
    VENDORS
        .iter()
        .find(|vendor| {
            vendor
                .patterns
                .iter()
                .any(|pattern| names.iter().any(|name| pattern.matches(name)))
        })
        .map(|vendor| vendor.product)
}

/// Every product [`identify_product`] can name, in table order.
#[must_use]
#[cfg(test)]
pub(crate) fn known_products() -> Vec<&'static str> {
    VENDORS.iter().map(|vendor| vendor.product).collect()
}

impl Pattern {
    /// Whether `name` (already lower-cased) matches.
    fn matches(self, name: &str) -> bool {
        match self {
            Contains(needle) => name.contains(needle),
            Word(word) => name.match_indices(word).any(|(at, _)| {
                let before = name[..at].chars().next_back();
                let after = name[at + word.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            }),
            Serial(prefix) => name.strip_prefix(prefix).is_some_and(|serial| {
                serial.len() >= 8
                    && serial.chars().all(|c| c.is_ascii_alphanumeric())
                    && serial.chars().any(|c| c.is_ascii_digit())
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspection_ca_names_identify_their_product() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["Zscaler Root CA", "Zscaler Inc."], Some("Zscaler")),
            (
                &["Zscaler Intermediate Root CA (zscalerthree.net) (t) "],
                Some("Zscaler"),
            ),
            (&["Forward-Trust-CA"], Some("Palo Alto Networks")),
            (&["Palo Alto Networks Inc"], Some("Palo Alto Networks")),
            (
                &["FGT60D4613059221", "Fortinet"],
                Some("Fortinet FortiGate"),
            ),
            (&["FGT60D4613059221"], Some("Fortinet FortiGate")),
            (&["FortiGate CA"], Some("Fortinet FortiGate")),
            (
                &["Blue Coat ProxySG CA"],
                Some("Blue Coat / Symantec ProxySG"),
            ),
            (&["ca.acme.goskope.com"], Some("Netskope")),
            (&["caadmin.netskope.com", "Netskope Inc"], Some("Netskope")),
            (&["Forcepoint Cloud CA"], Some("Forcepoint (Websense)")),
            (&["Websense Root CA"], Some("Forcepoint (Websense)")),
            (&["Cisco Umbrella Root CA", "Cisco"], Some("Cisco Umbrella")),
            (
                &["IronPort Web Security Appliance Demo Certificate"],
                Some("Cisco Secure Web Appliance (IronPort)"),
            ),
            (&["Cisco Systems"], Some("Cisco")),
            (&["Sophos SSL CA_C320ABPCBJ8BQ6B", "Sophos"], Some("Sophos")),
            (&["Check Point HTTPS Inspection CA"], Some("Check Point")),
            (&["mitmproxy"], Some("mitmproxy")),
            (
                &["DO_NOT_TRUST_FiddlerRoot", "DO_NOT_TRUST"],
                Some("Fiddler"),
            ),
            (
                &["Charles Proxy CA (10 Jan 2020, laptop)", "XK72 Ltd"],
                Some("Charles Proxy"),
            ),
            (&["PortSwigger CA"], Some("Burp Suite")),
            (&["Menlo Security Intermediate CA"], Some("Menlo Security")),
            (&["iboss Root CA"], Some("iboss")),
            (&["Barracuda Networks"], Some("Barracuda")),
            (
                &["McAfee Web Gateway"],
                Some("McAfee / Skyhigh Web Gateway"),
            ),
            (
                &["Kaspersky Anti-Virus Personal Root Certificate"],
                Some("Kaspersky"),
            ),
            (&["ESET SSL Filter CA", "ESET, spol. s r. o."], Some("ESET")),
            (
                &["Avast Web/Mail Shield Root"],
                Some("Avast / AVG / Norton antivirus"),
            ),
            (
                &["AVG Web/Mail Shield Root"],
                Some("Avast / AVG / Norton antivirus"),
            ),
            (
                &["Bitdefender Personal CA.Net-Defender"],
                Some("Bitdefender"),
            ),
            (
                &["Gateway CA - Cloudflare Managed G1 d4cab1c0e006138441e1f1b57bfde614"],
                Some("Cloudflare Gateway"),
            ),
            (&["SonicWall Firewall DPI-SSL"], Some("SonicWall")),
            // Lookalikes that are not inspection products.
            (&["San Francisco", "Francisco Partners"], None),
            (&["Preset CA", "Resettable"], None),
            (&["FGT"], None),
            (&["fgtechnologies"], None),
            (&["Corp Inspection CA"], None),
            (&[], None),
        ];
        for (names, expected) in cases {
            assert_eq!(
                identify_product(names.iter().copied()),
                *expected,
                "{names:?}"
            );
        }
    }

    #[test]
    fn genuine_chains_name_no_product() {
        let names = [
            "Microsoft Root Certificate Authority 2011",
            "Microsoft Corporation",
            "Microsoft Secure Server CA 2011",
            "Microsoft Update Secure Server CA 2.1",
            "Microsoft Azure RSA TLS Issuing CA 04",
            "Microsoft Azure ECC TLS Issuing CA 03",
            "Microsoft RSA TLS CA 01",
            "Microsoft IT TLS CA 2",
            "Microsoft TLS G2 RSA CA OCSP 02",
            "Microsoft TLS RSA Root G2",
            "Microsoft RSA Root Certificate Authority 2017",
            "Microsoft ECC Root Certificate Authority 2017",
            "WSE",
            "*.events.data.microsoft.com",
            "DigiCert Global Root G2",
            "DigiCert Global Root G3",
            "DigiCert Global Root CA",
            "DigiCert SHA2 Secure Server CA",
            "DigiCert Inc",
            "www.digicert.com",
            "Baltimore CyberTrust Root",
            "Baltimore",
            "CyberTrust",
            "Cloudflare Inc ECC CA-3",
            "Cloudflare, Inc.",
            "Symantec Class 3 Secure Server CA - G4",
            "Let's Encrypt",
            "GlobalSign",
        ];
        for name in names {
            assert_eq!(identify_product([name]), None, "{name}");
        }
    }

    #[test]
    fn the_table_is_long_enough_and_has_no_duplicate_products() {
        let products = known_products();
        assert!(products.len() >= 10);
        let mut sorted = products.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), products.len());
    }
}
