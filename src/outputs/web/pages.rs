//! The pages, their script and their style, embedded in the binary (no CDN, no build step). One HTML template serves
//! every page; the script draws whichever panels the page holds. Class names are documented in docs/obs.md.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const TEMPLATE: &str = include_str!("assets/page.html");
const SCRIPT: &str = include_str!("assets/overlay.js");
const STYLE: &str = include_str!("assets/overlay.css");

/// The panels in the order the full page stacks them.
const PANELS: [&str; 4] = ["status", "scoreboard", "graphs", "army"];
/// Panels that only have a page of their own (the full page's column has no room for them at 16 teams).
const OWN_PAGE_PANELS: [&str; 2] = ["production", "players"];

/// `name` is `all` (the main panels, laid out for a 1920x1080 scene) or one panel.
pub fn page(name: &str) -> Response {
    let sections: String = PANELS
        .iter()
        .filter(|p| name == "all" || name == **p)
        .chain(OWN_PAGE_PANELS.iter().filter(|p| name == **p))
        .map(|p| format!(r#"<section class="bar-panel bar-{p}" data-panel="{p}"></section>"#))
        .collect::<Vec<_>>()
        .join("\n    ");
    let html = TEMPLATE
        .replace("{{PAGE}}", name)
        .replace("{{PANELS}}", &sections);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

pub fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
