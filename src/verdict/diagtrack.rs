//! Rules that weigh DiagTrack's own upload summary (`UtcConnectionReport`) against the probes:
//! where it corroborates a cause, where it disagrees with the verdict and why, and the states
//! that show nothing (no report yet, nothing to upload). The summary never changes readiness:
//! the probes decide, and what DiagTrack saw is said beside them.

use crate::windows::utc::{UploadState, UtcReport};

use super::Finding;
use super::finding::{Code, Evidence, Fact, Mismatch, UtcFacts, bare, setting_ref};

/// What the verdict already found that DiagTrack's summary can speak to.
pub(super) struct Found {
    pub(super) ready: bool,
    /// The system context meets proxy authentication.
    pub(super) proxy_auth: bool,
    /// The system context meets SSL inspection.
    pub(super) interception: bool,
    /// Every route of the system context goes through a proxy (`Some(true)`), none does
    /// (`Some(false)`), or some do.
    pub(super) via_proxy: Option<bool>,
}

/// Rule: one finding that states what DiagTrack's summary shows and whether it agrees.
pub(super) fn judge(report: &UtcReport, found: &Found) -> Finding {
    let state = report.state();
    let summary = report.summary.as_ref();
    let last_http_error = summary.and_then(|s| s.last_http_error).filter(|&c| c != 0);
    let certificate_failure = summary
        .filter(|s| s.certificate_failures == Some(true))
        .map(|s| s.last_certificate_failure.unwrap_or(0));
    let proxy_detected = summary.and_then(|s| s.proxy_detected);
    let mut mismatches = Vec::new();
    let sent = matches!(state, UploadState::AllSent);
    let dropped = matches!(state, UploadState::AllDropped | UploadState::SomeDropped);
    if sent && !found.ready {
        mismatches.push(match (proxy_detected, found.via_proxy) {
            (Some(false), Some(true)) => Mismatch::SentDirect,
            (Some(true), Some(false)) => Mismatch::SentViaUnseenProxy,
            _ => Mismatch::SentWhileProbesFail,
        });
    }
    if dropped && found.ready {
        mismatches.push(Mismatch::DroppedWhileProbesPass);
    }
    if last_http_error == Some(407) && !found.proxy_auth {
        mismatches.push(Mismatch::AuthNotSeenByProbes);
    }
    if certificate_failure.is_some() && !found.interception {
        mismatches.push(Mismatch::CertificateFailuresNotSeenByProbes);
    }
    let code = match state {
        UploadState::NoReport => Code::DiagTrackNoReport,
        UploadState::NothingToUpload => Code::DiagTrackNothingToUpload,
        _ if !mismatches.is_empty() => Code::DiagTrackDiffers,
        UploadState::Unknown => Code::DiagTrackNoReport,
        _ => Code::DiagTrackAgrees,
    };
    Finding {
        evidence: Evidence {
            refs: vec![setting_ref("UtcConnectionReport")],
            facts: vec![Fact::Utc(UtcFacts {
                state,
                period_end: summary.and_then(|s| s.ending).map(|t| t.to_string()),
                last_http_error,
                proxy_detected,
                certificate_failure,
                corroborates_auth: last_http_error == Some(407) && found.proxy_auth,
                corroborates_interception: certificate_failure.is_some() && found.interception,
                mismatches,
            })],
            health: None,
        },
        ..bare(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::utc::parse;

    fn report(uploaded: u32, http: u32, proxy: bool, cert: bool) -> UtcReport {
        parse(&format!(
            "<ConnectionReport><ConnectionSummary>\
             <ConnectionSummaryStartingTimestamp>134069760000000000</ConnectionSummaryStartingTimestamp>\
             <ConnectionSummaryEndingTimestamp>134070624000000000</ConnectionSummaryEndingTimestamp>\
             <LastHttpErrorCode>{http}</LastHttpErrorCode><ProxyDetected>{proxy}</ProxyDetected>\
             <DataUploaded>{uploaded}</DataUploaded>\
             <AnyCertificateValidationFailures>{cert}</AnyCertificateValidationFailures>\
             <LastCertificateValidationFailureCode>2148204809</LastCertificateValidationFailureCode>\
             </ConnectionSummary></ConnectionReport>"
        ))
        .expect("a valid report")
    }

    fn found(ready: bool, proxy_auth: bool, interception: bool, via_proxy: Option<bool>) -> Found {
        Found {
            ready,
            proxy_auth,
            interception,
            via_proxy,
        }
    }

    fn facts(finding: &Finding) -> &UtcFacts {
        match &finding.evidence.facts[..] {
            [Fact::Utc(facts)] => facts,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_summary_is_weighed_against_the_probes() {
        type Case = (&'static str, UtcReport, Found, Code, &'static [Mismatch]);
        let cases: [Case; 8] = [
            (
                "dropped behind 407, probes see proxy auth",
                report(0, 407, true, false),
                found(false, true, false, Some(true)),
                Code::DiagTrackAgrees,
                &[],
            ),
            (
                "dropped with 407, probes see no auth",
                report(0, 407, true, false),
                found(false, false, false, Some(true)),
                Code::DiagTrackDiffers,
                &[Mismatch::AuthNotSeenByProbes],
            ),
            (
                "all sent without a proxy, probes through a proxy fail",
                report(2, 0, false, false),
                found(false, true, false, Some(true)),
                Code::DiagTrackDiffers,
                &[Mismatch::SentDirect],
            ),
            (
                "all sent through a proxy, direct probes fail",
                report(2, 0, true, false),
                found(false, false, false, Some(false)),
                Code::DiagTrackDiffers,
                &[Mismatch::SentViaUnseenProxy],
            ),
            (
                "all sent, probes pass",
                report(2, 0, false, false),
                found(true, false, false, Some(false)),
                Code::DiagTrackAgrees,
                &[],
            ),
            (
                "some dropped while probes pass, with certificate failures",
                report(1, 0, true, true),
                found(true, false, false, Some(true)),
                Code::DiagTrackDiffers,
                &[
                    Mismatch::DroppedWhileProbesPass,
                    Mismatch::CertificateFailuresNotSeenByProbes,
                ],
            ),
            (
                "nothing to upload proves nothing",
                report(3, 0, false, false),
                found(false, true, false, Some(true)),
                Code::DiagTrackNothingToUpload,
                &[],
            ),
            (
                "certificate failures and inspection found",
                report(0, 0, true, true),
                found(false, false, true, Some(true)),
                Code::DiagTrackAgrees,
                &[],
            ),
        ];
        for (name, report, found, code, mismatches) in cases {
            let finding = judge(&report, &found);
            assert_eq!(finding.code, code, "{name}");
            assert_eq!(facts(&finding).mismatches, mismatches, "{name}");
        }
        let agrees = judge(
            &report(0, 0, true, true),
            &found(false, false, true, Some(true)),
        );
        assert!(facts(&agrees).corroborates_interception);
        assert_eq!(facts(&agrees).certificate_failure, Some(2_148_204_809));
    }

    #[test]
    fn a_missing_summary_is_no_report_not_a_pass() {
        let empty = parse("<ConnectionReport/>").expect("valid");
        let finding = judge(&empty, &found(true, false, false, None));
        assert_eq!(finding.code, Code::DiagTrackNoReport);
        assert_eq!(facts(&finding).state, UploadState::NoReport);
    }
}
