//! The engine's `springsettings.cfg` (`Key = Value` a line), for the two settings that silently stop the widget:
//! `LuaSocketEnabled = 0` takes LuaSocket away from every widget, and a `TCPAllowConnect` list without our address
//! denies the connect ("connect denied"). Spring 106 also rejects `127.0.0.1:*` ("Invalid port specified: 0") and
//! then denies every connect.

use std::collections::HashMap;

/// The settings, keys as written (the engine's keys are case-sensitive).
pub fn parse(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.starts_with(['#', ';', '/']))
                .then(|| (k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// Whether LuaSocket is off (`LuaSocketEnabled = 0`); on by default.
pub fn luasocket_disabled(s: &HashMap<String, String>) -> bool {
    s.get("LuaSocketEnabled")
        .is_some_and(|v| v.trim() == "0" || v.trim().eq_ignore_ascii_case("false"))
}

/// Why `TCPAllowConnect` denies a connect to 127.0.0.1:`port`, or `None` when it allows it (the default, `*`).
pub fn connect_denied(s: &HashMap<String, String>, port: u16) -> Option<String> {
    let rules = s.get("TCPAllowConnect")?;
    let entries: Vec<&str> = rules.split_whitespace().collect();
    if entries.contains(&"*") {
        return None;
    }
    let ours = format!("127.0.0.1:{port}");
    if entries.contains(&ours.as_str()) {
        return None;
    }
    let wildcard_port = entries.iter().find(|e| e.ends_with(":*"));
    Some(match wildcard_port {
        Some(e) => format!(
            "TCPAllowConnect = {rules} in springsettings.cfg: the engine rejects `{e}` (a port must be a number) and \
             then denies every connect; write `TCPAllowConnect = {ours}` (or `*`)"
        ),
        None => format!(
            "TCPAllowConnect = {rules} in springsettings.cfg does not allow {ours}: add `{ours}` to it (or delete the line)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_settings_that_stop_the_widget() {
        let s = parse(
            "XResolution = 1920\nLuaSocketEnabled = 0\n# TCPAllowConnect = *\nTCPAllowConnect = 127.0.0.1:*\n",
        );
        assert!(luasocket_disabled(&s));
        let why = connect_denied(&s, 47800).unwrap();
        assert!(
            why.contains("`127.0.0.1:*`") && why.contains("TCPAllowConnect = 127.0.0.1:47800"),
            "{why}"
        );
    }

    #[test]
    fn defaults_allow() {
        let s = parse("XResolution = 1920\n");
        assert!(!luasocket_disabled(&s));
        assert_eq!(connect_denied(&s, 47800), None);
        assert_eq!(
            connect_denied(&parse("TCPAllowConnect = example.org:80 *"), 47800),
            None
        );
        assert_eq!(
            connect_denied(&parse("TCPAllowConnect = 127.0.0.1:47800"), 47800),
            None
        );
        assert!(connect_denied(&parse("TCPAllowConnect = 127.0.0.1:47800"), 47811).is_some());
        assert!(connect_denied(&parse("TCPAllowConnect ="), 47800).is_some());
    }
}
