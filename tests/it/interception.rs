//! SSL inspection: a proxy re-signing the chain with its own CA.

use dapreflight::Interception;
use dapreflight::Status;

use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer};

async fn intercepted(inspection_ca: &Ca, device_trusts_it: bool) -> dapreflight::ProbeResult {
    let origin_ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&origin_ca, &["origin.test"]).await;
    let proxy = FakeProxy::start(ProxyBehavior::Intercept(inspection_ca.clone())).await;
    let mut check = Check::new()
        .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
        .trust(&origin_ca)
        .via(proxy.addr());
    if device_trusts_it {
        check = check.device_trusts(inspection_ca);
    }
    let result = check.run_one().await;
    assert_eq!(origin.requests().len(), 0, "the proxy answered itself");
    result
}

#[tokio::test]
async fn chain_re_signed_by_a_ca_the_device_trusts_is_interception() {
    let inspection_ca = Ca::generate("Corp Inspection CA");
    let result = intercepted(&inspection_ca, true).await;
    assert_eq!(result.status, Status::TlsIntercepted, "{result:#?}");
    let tls = result.tls.expect("tls evidence");
    assert_eq!(
        tls.trust.verdict,
        Interception::Detected {
            issuer: "Corp Inspection CA".to_owned(),
            anchor: "Corp Inspection CA".to_owned(),
            product: None,
        }
    );
    assert!(
        result.detail.contains("Corp Inspection CA"),
        "{}",
        result.detail
    );
    assert_eq!(
        result.http_status,
        Some(200),
        "the HTTP answer is still recorded"
    );
}

#[tokio::test]
async fn chain_re_signed_by_an_unknown_ca_is_untrusted_not_interception() {
    let inspection_ca = Ca::generate("Corp Inspection CA");
    let result = intercepted(&inspection_ca, false).await;
    assert_eq!(result.status, Status::TlsUntrusted, "{result:#?}");
    assert!(
        result.detail.contains("Corp Inspection CA"),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn the_inspection_product_is_named_when_the_ca_shows_it() {
    let inspection_ca = Ca::generate("Zscaler Root CA");
    let result = intercepted(&inspection_ca, true).await;
    assert_eq!(result.status, Status::TlsIntercepted, "{result:#?}");
    assert!(matches!(
        result.tls.expect("tls").trust.verdict,
        Interception::Detected { product: Some(ref p), .. } if p.contains("Zscaler")
    ));
    assert!(result.detail.contains("Zscaler"), "{}", result.detail);
}

#[tokio::test]
async fn a_microsoft_endpoint_re_signed_by_an_inspection_ca_is_interception() {
    // The built-in entry's rule applies: only Microsoft Root Certificate Authority 2011 is genuine.
    let inspection_ca = Ca::generate("Palo Alto Networks Forward Trust CA");
    let proxy = FakeProxy::start(ProxyBehavior::Intercept(inspection_ca.clone())).await;
    let result = Check::new()
        .endpoint("url: \"https://v10c.events.data.microsoft.com/health/keepalive\"")
        .device_trusts(&inspection_ca)
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::TlsIntercepted, "{result:#?}");
    let tls = result.tls.expect("tls");
    assert_eq!(
        tls.trust.rule,
        dapreflight::TrustRule::MicrosoftApplicationRoot
    );
    assert_eq!(proxy.intercepted()[0].path, "/health/keepalive");
}
