//! Protocol v1: the wire types and the one function that turns a line into a message.
//!
//! Parsing is strict about what SCHEMA.md requires (`type` or the proposal's untyped snapshot form, a `1.x`
//! `schema_version`, each message's required fields) and lenient about what later minor versions may add: unknown
//! fields and unknown message types are counted, never fatal.

mod framing;
pub mod limits;
mod types;
mod unknown;

pub use framing::{Cut, LineCutter, trim_cr};
pub use limits::LimitError;
pub use types::*;

use serde::de::DeserializeOwned;
use std::fmt;

/// The major version this reader speaks.
pub const SCHEMA_MAJOR: &str = "1";
/// The version this crate writes.
pub const SCHEMA_VERSION: &str = "1.2";
/// Longest line a receiver accepts (SCHEMA.md: a full 5000-unit snapshot is about 0.5 MiB).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// Where the overlay listens unless told otherwise.
pub const DEFAULT_PORT: u16 = 47800;

/// Where the overlay serves its web pages by default (not part of the protocol; beside its port so users find it).
pub const DEFAULT_WEB_PORT: u16 = 47801;

/// A line that was understood.
// Unknown types are rare, so the size difference costs nothing; boxing would cost an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Message {
        msg: Message,
        unknown_fields: u32,
    },
    /// A well-formed message of a type this version does not know: skipped, not an error.
    UnknownType(String),
}

/// Why a line was rejected. Displays as one sentence a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    NotUtf8 {
        valid_up_to: usize,
    },
    Json {
        message: String,
    },
    NoType,
    NoVersion {
        kind: String,
    },
    UnsupportedVersion {
        version: String,
    },
    Invalid {
        kind: String,
        message: String,
    },
    /// Well-formed, but over one of the protocol's limits (SCHEMA.md, "Limits"): refused whole.
    Limit {
        kind: &'static str,
        error: LimitError,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NotUtf8 { valid_up_to } => {
                write!(f, "not valid UTF-8 (bad byte at offset {valid_up_to})")
            }
            ParseError::Json { message } => write!(f, "not a JSON object: {message}"),
            ParseError::NoType => {
                write!(
                    f,
                    "no \"type\" field (and no \"game_frame\", so not a proposal-style snapshot)"
                )
            }
            ParseError::NoVersion { kind } => write!(f, "{kind} without \"schema_version\""),
            ParseError::UnsupportedVersion { version } => write!(
                f,
                "schema_version \"{version}\" is not supported (this reader speaks {SCHEMA_MAJOR}.x)"
            ),
            ParseError::Invalid { kind, message } => write!(f, "bad {kind}: {message}"),
            ParseError::Limit { kind, error } => {
                write!(f, "{kind} refused, over a limit: {error}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Just enough of a message to know what it is, read without building the rest. `F`: what is made of its frame
/// (`parse_line` only needs to know there is one; `peek_line` reads it).
#[derive(serde::Deserialize)]
struct Envelope<'a, F> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    schema_version: Option<std::borrow::Cow<'a, str>>,
    #[serde(default = "Option::default")]
    game_frame: Option<F>,
}

/// How much of a snapshot's units a reader takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Everything, with the fields this version does not know counted (the receiver, the relay, `export`).
    Whole,
    /// Units as [`UnitCore`]s (id, type, team, build progress): what the model's totals, composition and series
    /// depend on. Position, health, velocity and experience are skipped unread, so they are neither range-checked nor
    /// kept, and unknown fields are not counted (`unknown_fields` is 0). For `summary`, which reports totals only.
    Totals,
}

/// Parses one line (without its terminator; surrounding whitespace, such as a `\r`, is fine).
pub fn parse_line(line: &[u8]) -> Result<Parsed, ParseError> {
    parse_line_with(line, Reading::Whole)
}

/// [`parse_line`], taking as much of the units as `reading` says.
pub fn parse_line_with(line: &[u8], reading: Reading) -> Result<Parsed, ParseError> {
    let text = utf8(line)?;
    // The widget always writes `type` and `schema_version` first; knowing that saves a pass over large snapshots.
    if let Some(rest) = text.strip_prefix(SNAPSHOT_PREFIX)
        && let Some(version) = rest.split('"').next()
    {
        check_version(version)?;
        return snapshot(text, true, reading);
    }
    let env = envelope::<serde::de::IgnoredAny>(text)?;
    let kind = env.kind()?;
    // The `type` tag is a key the typed structs do not have: skipped, not unknown. (An event reads its keys through
    // `flatten`, which skips without counting.)
    let tag = env.kind.is_some();
    let (msg, unknown_fields) = match kind {
        "hello" => typed::<Hello>(kind, text, tag).map(|(m, n)| (Message::Hello(m), n))?,
        "snapshot" => return snapshot(text, tag, reading),
        "event" => typed::<Event>(kind, text, false).map(|(m, n)| (Message::Event(m), n))?,
        "bye" => typed::<Bye>(kind, text, tag).map(|(m, n)| (Message::Bye(m), n))?,
        other => return Ok(Parsed::UnknownType(other.to_owned())),
    };
    within_limits(msg, unknown_fields)
}

fn utf8(line: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(line).map_err(|e| ParseError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })
}

const SNAPSHOT_PREFIX: &str = r#"{"type":"snapshot","schema_version":""#;

fn envelope<'a, F: serde::Deserialize<'a>>(text: &'a str) -> Result<Envelope<'a, F>, ParseError> {
    let env: Envelope<F> = serde_json::from_str(text).map_err(|e| ParseError::Json {
        message: e.to_string(),
    })?;
    let kind = env.kind()?;
    let version = env
        .schema_version
        .as_deref()
        .ok_or_else(|| ParseError::NoVersion {
            kind: kind.to_owned(),
        })?;
    check_version(version)?;
    Ok(env)
}

impl<F> Envelope<'_, F> {
    fn kind(&self) -> Result<&str, ParseError> {
        match (&self.kind, &self.game_frame) {
            (Some(k), _) => Ok(k.as_ref()),
            (None, Some(_)) => Ok("snapshot"),
            (None, None) => Err(ParseError::NoType),
        }
    }
}

fn snapshot(text: &str, tagged: bool, reading: Reading) -> Result<Parsed, ParseError> {
    let (s, n) = match reading {
        Reading::Whole => typed::<Snapshot>("snapshot", text, tagged)?,
        Reading::Totals => {
            let s: Snapshot<UnitCore> =
                serde_json::from_str(text).map_err(|e| ParseError::Invalid {
                    kind: "snapshot".to_owned(),
                    message: e.to_string(),
                })?;
            (s.map_units(Unit::from), 0)
        }
    };
    within_limits(Message::Snapshot(s), n)
}

/// What `replay` needs of a line to pace it: what it is and the frame it speaks of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    /// The message type (`snapshot` for the proposal's untyped form); any string, as a later version may add types.
    pub kind: String,
    pub game_frame: Option<u32>,
}

/// Reads a line's type, version and frame, checking that the rest is JSON without building it: what a reader that
/// passes lines on needs (the one it passes them to judges the rest). The same errors as [`parse_line`] for a line
/// that is not UTF-8, not a JSON object, without type or version, or of another major version.
pub fn peek_line(line: &[u8]) -> Result<Peeked, ParseError> {
    let text = utf8(line)?;
    // Any value: a frame that is not a frame number is the listener's to refuse.
    let env = envelope::<serde_json::Value>(text)?;
    Ok(Peeked {
        kind: env.kind()?.to_owned(),
        game_frame: env
            .game_frame
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .and_then(|f| u32::try_from(f).ok()),
    })
}

/// Nothing over a limit leaves the parser: a reader never holds more than a real game could send.
fn within_limits(msg: Message, unknown_fields: u32) -> Result<Parsed, ParseError> {
    match limits::check(&msg) {
        Ok(()) => Ok(Parsed::Message {
            msg,
            unknown_fields,
        }),
        Err(error) => Err(ParseError::Limit {
            kind: msg.kind(),
            error,
        }),
    }
}

fn check_version(version: &str) -> Result<(), ParseError> {
    let major = version.split('.').next().unwrap_or_default();
    if major == SCHEMA_MAJOR {
        Ok(())
    } else {
        Err(ParseError::UnsupportedVersion {
            version: version.to_owned(),
        })
    }
}

/// Deserializes `text` as `T`, counting the fields it ignored (fields of a later minor version).
/// `T` from `text`, with the number of unknown fields it skipped; `tagged`: one of them is the `type` tag.
fn typed<T: DeserializeOwned>(
    kind: &str,
    text: &str,
    tagged: bool,
) -> Result<(T, u32), ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (value, unknown) = unknown::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| ParseError::Invalid {
            kind: kind.to_owned(),
            message: e.to_string(),
        })?;
    Ok((value, unknown.saturating_sub(u32::from(tagged))))
}

/// One message as one protocol line, `\n` included.
pub fn encode_line(msg: &Message) -> Vec<u8> {
    let mut out = serde_json::to_vec(msg).unwrap_or_else(|e| {
        // Our own types always serialize; a failure here is a bug, reported on the wire's terms.
        tracing::error!("cannot encode {} message: {e}", msg.kind());
        Vec::new()
    });
    out.push(b'\n');
    out
}
