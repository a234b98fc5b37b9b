//! WinINET's per-connection settings (VPN and dial-up): `proxy` lists them, `--connection` moves
//! the user context onto one, an unknown name is exit 2.

use serde_json::Value;

use crate::binary::dapreflight;

const EXPORT: &str = "testdata/registry/vpn-connections.synthetic.reg";

/// `proxy --format json` for the VPN fixture with `extra` arguments, as parsed JSON.
fn proxy_json(extra: &[&str]) -> Value {
    let mut args = vec![
        "proxy",
        "--from-reg",
        EXPORT,
        "--format",
        "json",
        "--timeout",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = dapreflight(&args, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("proxy --format json is JSON")
}

/// The routes of `context`, as "endpoint → kind proxy".
fn routes(view: &Value, context: &str) -> Vec<String> {
    view["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter(|row| row["context"] == context)
        .map(|row| {
            format!(
                "{} {}",
                row["route"]["kind"].as_str().unwrap_or_default(),
                row["route"]["proxy"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// `(name, in_use, vpn)` of each connection of `context`.
fn listed(view: &Value, context: &str) -> Vec<(String, bool, bool)> {
    let listing = view["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .find(|listing| listing["context"] == context)
        .unwrap_or_else(|| panic!("no connections of {context}"));
    listing["connections"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| {
            (
                entry["name"].as_str().expect("a name").to_owned(),
                entry["in_use"] == true,
                entry["vpn"] == true,
            )
        })
        .collect()
}

fn entry<'a>(view: &'a Value, context: &str, name: &str) -> &'a Value {
    view["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .filter(|listing| listing["context"] == context)
        .flat_map(|listing| listing["connections"].as_array().expect("a list"))
        .find(|entry| entry["name"] == name)
        .unwrap_or_else(|| panic!("no connection {name} of {context}"))
}

#[test]
fn proxy_lists_every_connection_of_both_contexts_with_the_lan_in_use() {
    let view = proxy_json(&[]);
    let owned = |rows: &[(&str, bool, bool)]| -> Vec<(String, bool, bool)> {
        rows.iter()
            .map(|(name, in_use, vpn)| ((*name).to_owned(), *in_use, *vpn))
            .collect()
    };
    assert_eq!(
        listed(&view, "user"),
        owned(&[
            ("DefaultConnectionSettings", true, false),
            ("Contoso VPN", false, true),
            ("Fabrikam Dial-up", false, true),
            ("Broken VPN", false, true),
        ])
    );
    assert_eq!(
        listed(&view, "system"),
        owned(&[
            ("DefaultConnectionSettings", true, false),
            ("Contoso VPN", false, true),
        ])
    );
    let pac = entry(&view, "user", "Contoso VPN");
    assert_eq!(pac["auto_config_url"], "http://127.0.0.1:9/vpn.pac");
    assert_eq!(pac["proxy"], Value::Null);
    assert_eq!(pac["auto_detect"], false);
    let dialup = entry(&view, "user", "Fabrikam Dial-up");
    assert_eq!(dialup["proxy"], "127.0.0.1:3128");
    assert_eq!(dialup["bypass"], "*.fabrikam.test");
    assert_eq!(dialup["origin"], format!("{EXPORT}:25"));
    // An unreadable connection is listed with its problem; it never stops the run.
    let broken = entry(&view, "user", "Broken VPN");
    assert_eq!(broken["proxy"], Value::Null);
    assert!(
        broken["problem"]
            .as_str()
            .is_some_and(|problem| problem.starts_with("unreadable: ")),
        "{broken}"
    );
    assert!(
        view["vpn_note"]
            .as_str()
            .is_some_and(|note| note.contains("force-tunnel") && note.contains("split-tunnel")),
        "{}",
        view["vpn_note"]
    );
    // The user context says which connection it uses and which others there are.
    let user = view["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .find(|context| context["name"] == "user")
        .expect("the user context");
    let sources = user["sources"].to_string();
    assert!(
        sources.contains("VPN or dial-up connections present: Contoso VPN, Fabrikam Dial-up"),
        "{sources}"
    );
}

#[test]
fn the_table_marks_the_connection_in_use_and_prints_the_force_tunnel_note_once() {
    let out = dapreflight(
        &[
            "proxy",
            "--from-reg",
            EXPORT,
            "--connection",
            "Contoso VPN",
            "--timeout",
            "1",
        ],
        &[("COLUMNS", "200")],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("note: a VPN connection's proxy settings are used only")
            .count(),
        1,
        "{text}"
    );
    assert!(
        text.lines().any(|line| line
            .trim_start()
            .starts_with("▸ Contoso VPN (VPN or dial-up, in use): PAC http://127.0.0.1:9/vpn.pac")),
        "{text}"
    );
    assert!(
        text.lines().any(|line| line
            .trim_start()
            .starts_with("▸ DefaultConnectionSettings (the LAN, in use): direct")),
        "LocalSystem keeps its LAN settings: {text}"
    );
}

#[test]
fn connection_moves_the_user_context_onto_that_connections_proxy_and_leaves_the_system_alone() {
    let lan = proxy_json(&[]);
    let dialup = proxy_json(&["--connection", "fabrikam dial-up"]);
    let user_lan = routes(&lan, "user");
    let user_dialup = routes(&dialup, "user");
    assert!(!user_lan.is_empty());
    assert!(
        user_lan
            .iter()
            .all(|route| route == "proxy lan-proxy.contoso.test:8080"),
        "{user_lan:?}"
    );
    assert!(
        user_dialup
            .iter()
            .all(|route| route == "proxy 127.0.0.1:3128"),
        "{user_dialup:?}"
    );
    assert_eq!(routes(&lan, "system"), routes(&dialup, "system"));
    // The name is matched case-insensitively and reported as the registry spells it.
    assert_eq!(
        listed(&dialup, "user")
            .into_iter()
            .filter(|(_, in_use, _)| *in_use)
            .map(|(name, _, _)| name)
            .collect::<Vec<_>>(),
        ["Fabrikam Dial-up"]
    );
    let source = dialup["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|row| row["context"] == "user")
        .expect("a user route")["route"]["source"]
        .to_string();
    assert!(source.contains("connection 'Fabrikam Dial-up'"), "{source}");
}

#[test]
fn an_unknown_connection_is_exit_2_listing_the_names_present() {
    for command in ["proxy", "check"] {
        let out = dapreflight(
            &[
                command,
                "--from-reg",
                EXPORT,
                "--connection",
                "Northwind VPN",
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(
                "--connection 'Northwind VPN': no such connection under \
                 HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections; \
                 present: DefaultConnectionSettings, Contoso VPN, Fabrikam Dial-up, Broken VPN"
            ),
            "{command}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{command}");
    }
    let out = dapreflight(&["proxy", "--direct", "--connection", "Contoso VPN"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--connection 'Contoso VPN': no Windows proxy settings were read"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn choosing_an_unreadable_connection_leaves_the_user_context_without_a_route_not_on_the_lan() {
    let view = proxy_json(&["--connection", "Broken VPN", "--context", "user"]);
    let user = routes(&view, "user");
    assert!(!user.is_empty());
    assert!(user.iter().all(|route| route == "unprobeable "), "{user:?}");
    let sources = view["contexts"][0]["sources"].to_string();
    assert!(
        sources.contains(r#""status":"failed""#) && sources.contains("unreadable Broken VPN"),
        "{sources}"
    );
}
