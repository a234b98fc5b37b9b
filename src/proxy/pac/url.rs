//! The URL and host a PAC is called with, and the two forms an https URL takes.

#[cfg(test)]
use crate::url::{Scheme, Target};

/// The URL forms a PAC may be called with for one target.
///
/// `windows` is the full URL: Windows' https handling is undocumented (docs/formats.md §8.1),
/// Wine's `WinHTTP` passes the full URL, and so does pacparser; dapreflight follows them.
/// `stripped` is what Chromium-based browsers (Edge, Chrome) and Firefox pass for `https://`:
/// `https://host[:port]/`, without path, query, fragment or credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct UrlForms {
    pub windows: String,
    pub stripped: String,
}

/// The forms of `target`'s URL; they are equal for `http://`.
#[must_use]
#[cfg(test)]
pub(super) fn url_forms(target: &Target) -> UrlForms {
    let windows = target.to_string();
    let stripped = match target.scheme {
        Scheme::Https => format!("https://{}/", target.authority()),
        Scheme::Http => windows.clone(),
    };
    UrlForms { windows, stripped }
}

/// A URL as given on the command line, split into what the PAC is called with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PacUrl {
    pub host: String,
    pub forms: UrlForms,
}

/// Splits any `scheme://[user@]host[:port][/...]` URL (not only http and https, as pactester).
// The one raw splitter left: `FindProxyForURL` must see the URL exactly as the user gave it
// (any scheme, user-info, case and path untouched), as browsers and pactester pass it, while
// `url::Target` accepts only what dapreflight probes and normalises the rest.
pub(super) fn split_url(url: &str) -> Result<PacUrl, String> {
    let url = url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("'{url}' is not a URL (expected scheme://host/...)"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(format!("'{url}' has no host"));
    }
    let scheme_lower = scheme.to_ascii_lowercase();
    let stripped = if scheme_lower == "https" || scheme_lower == "wss" {
        let authority = authority
            .strip_suffix(":443")
            .filter(|_| scheme_lower == "https")
            .unwrap_or(authority);
        format!("{scheme_lower}://{authority}/")
    } else {
        url.to_owned()
    };
    Ok(PacUrl {
        host: host.to_owned(),
        forms: UrlForms {
            windows: url.to_owned(),
            stripped,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_have_a_stripped_form_and_http_urls_do_not() {
        let cases = [
            (
                "https://v10c.events.data.microsoft.com/ping?x=1",
                "v10c.events.data.microsoft.com",
                "https://v10c.events.data.microsoft.com/",
            ),
            (
                "https://user:pw@h.example:8443/a#f",
                "h.example",
                "https://h.example:8443/",
            ),
            ("https://h.example:443/a", "h.example", "https://h.example/"),
            ("http://h.example/a", "h.example", "http://h.example/a"),
            (
                "https://[2001:db8::1]:8443/x",
                "2001:db8::1",
                "https://[2001:db8::1]:8443/",
            ),
            (
                "ftp://files.example/pub",
                "files.example",
                "ftp://files.example/pub",
            ),
        ];
        for (url, host, stripped) in cases {
            let split = split_url(url).expect(url);
            assert_eq!(split.host, host, "{url}");
            assert_eq!(split.forms.windows, url);
            assert_eq!(split.forms.stripped, stripped, "{url}");
        }
        for bad in ["no-scheme.example", "http:///path"] {
            assert!(split_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn target_forms_follow_the_same_rule() {
        let target = Target {
            scheme: Scheme::Https,
            host: "v10c.events.data.microsoft.com".to_owned(),
            port: 443,
            path: "/OneCollector/1.0".to_owned(),
        };
        let forms = url_forms(&target);
        assert_eq!(
            forms.windows,
            "https://v10c.events.data.microsoft.com/OneCollector/1.0"
        );
        assert_eq!(forms.stripped, "https://v10c.events.data.microsoft.com/");
    }
}
