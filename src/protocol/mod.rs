//! Protocol v1: the wire types and the one function that turns a line into a message.
//!
//! Parsing is strict about what SCHEMA.md requires (`type` or the proposal's untyped snapshot form, a `1.x`
//! `schema_version`, each message's required fields) and lenient about what later minor versions may add: unknown
//! fields and unknown message types are counted, never fatal.

pub mod limits;
mod types;
mod unknown;

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

/// Just enough of a message to know what it is, read without building the rest.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    schema_version: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    game_frame: Option<serde::de::IgnoredAny>,
}

/// Parses one line (without its terminator; surrounding whitespace, such as a `\r`, is fine).
pub fn parse_line(line: &[u8]) -> Result<Parsed, ParseError> {
    let text = std::str::from_utf8(line).map_err(|e| ParseError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    // The widget always writes `type` and `schema_version` first; knowing that saves a pass over large snapshots.
    if let Some(rest) = text.strip_prefix(r#"{"type":"snapshot","schema_version":""#)
        && let Some(version) = rest.split('"').next()
    {
        check_version(version)?;
        let (s, n) = typed::<Snapshot>("snapshot", text, true)?;
        return within_limits(Message::Snapshot(s), n);
    }
    let env: Envelope = serde_json::from_str(text).map_err(|e| ParseError::Json {
        message: e.to_string(),
    })?;
    let kind = match (&env.kind, &env.game_frame) {
        (Some(k), _) => k.as_ref(),
        (None, Some(_)) => "snapshot",
        (None, None) => return Err(ParseError::NoType),
    };
    let version = env
        .schema_version
        .as_deref()
        .ok_or_else(|| ParseError::NoVersion {
            kind: kind.to_owned(),
        })?;
    check_version(version)?;
    // The `type` tag is a key the typed structs do not have: skipped, not unknown. (An event reads its keys through
    // `flatten`, which skips without counting.)
    let tag = env.kind.is_some();
    let (msg, unknown_fields) = match kind {
        "hello" => typed::<Hello>(kind, text, tag).map(|(m, n)| (Message::Hello(m), n))?,
        "snapshot" => typed::<Snapshot>(kind, text, tag).map(|(m, n)| (Message::Snapshot(m), n))?,
        "event" => typed::<Event>(kind, text, false).map(|(m, n)| (Message::Event(m), n))?,
        "bye" => typed::<Bye>(kind, text, tag).map(|(m, n)| (Message::Bye(m), n))?,
        other => return Ok(Parsed::UnknownType(other.to_owned())),
    };
    within_limits(msg, unknown_fields)
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
