//! BAR's widget settings file, `LuaUI/Config/BYAR.lua`: `return { allowUserWidgets = bool, data = {...}, order =
//! { ["Widget Name"] = N, ... } }`. A user widget runs once its `order` entry is positive; BAR starts every new user
//! widget at 0, off.
//!
//! The file is read with a real Lua parser (full_moon) only to find where things are; an edit splices a few bytes in
//! at those places, so every other byte (the other widgets' data, comments, odd names) stays as it was. The result is
//! parsed again and must read back as enabled before it is written.

use full_moon::ast::{Expression, Field, LastStmt, TableConstructor};
use full_moon::node::Node;
use full_moon::tokenizer::{TokenReference, TokenType};

/// What BYAR.lua says about one widget and about user widgets.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// The widget's `order` entry: positive is enabled, 0 or missing is off.
    pub order: Option<f64>,
    /// `allowUserWidgets`: `Some(false)` keeps every user widget from loading.
    pub allow_user_widgets: Option<bool>,
}

impl Info {
    pub fn enabled(&self) -> bool {
        self.order.is_some_and(|o| o > 0.0)
    }
}

/// A BYAR.lua for a write folder that has none yet: what BAR itself would write, with only our widget in it.
pub fn minimal(widget: &str) -> String {
    format!(
        "-- Widget Custom data and order\nreturn {{\n\tallowUserWidgets = true,\n\tdata = {{}},\n\torder = {{\n\t\t[\"{widget}\"] = 1,\n\t}},\n}}\n"
    )
}

/// Reads `text` (a BYAR.lua). An error says what is wrong in one line.
pub fn read(text: &str, widget: &str) -> Result<Info, String> {
    let ast = parse(text)?;
    let root = root_table(&ast)?;
    let order = field(root, "order").and_then(as_table);
    Ok(Info {
        order: order.and_then(|t| field(t, widget)).and_then(number),
        allow_user_widgets: field(root, "allowUserWidgets").and_then(boolean),
    })
}

/// `text` with `widget` enabled (its `order` entry set to one past the highest), or `None` when it already is.
pub fn enable(text: &str, widget: &str) -> Result<Option<String>, String> {
    let ast = parse(text)?;
    let root = root_table(&ast)?;
    let order_field = field(root, "order");
    let order = order_field.and_then(as_table);
    let next = order.map_or(1.0, |t| {
        let top = t
            .fields()
            .iter()
            .filter_map(|f| field_value(f).and_then(number))
            .fold(0.0, f64::max);
        top.floor() + 1.0
    });
    let next = format!("{}", next as i64);
    let edited = match (order_field, order) {
        (Some(_), Some(t)) => match field(t, widget) {
            Some(v) if number(v).is_some_and(|o| o > 0.0) => return Ok(None),
            // There, but 0, off or not a number: its value is replaced.
            Some(v) => splice(text, span(v)?, &next),
            None => {
                let at = after_open_brace(t)?;
                let line = format!("{}[\"{widget}\"] = {next},", field_indent(text, t, 1));
                splice(text, (at, at), &format!("\n{line}"))
            }
        },
        // `order` is something other than a table: BAR would ignore it; we do not guess.
        (Some(_), None) => {
            return Err("its `order` entry is not a table; BAR rewrites the file when it starts, so start BAR once and try again".into());
        }
        (None, _) => {
            let at = after_open_brace(root)?;
            let outer = field_indent(text, root, 1);
            let inner = format!("{outer}\t");
            splice(
                text,
                (at, at),
                &format!("\n{outer}order = {{\n{inner}[\"{widget}\"] = {next},\n{outer}}},"),
            )
        }
    };
    // The edit must read back as enabled, or nothing is written.
    match read(&edited, widget) {
        Ok(info) if info.enabled() => Ok(Some(edited)),
        Ok(_) => Err(
            "the edited file did not read back with the widget enabled; nothing was changed".into(),
        ),
        Err(e) => Err(format!(
            "the edited file did not parse ({e}); nothing was changed"
        )),
    }
}

fn parse(text: &str) -> Result<full_moon::ast::Ast, String> {
    full_moon::parse(text).map_err(|errs| match errs.first() {
        Some(e) => format!("it is not valid Lua ({e})"),
        None => "it is not valid Lua".to_owned(),
    })
}

fn root_table(ast: &full_moon::ast::Ast) -> Result<&TableConstructor, String> {
    let not_ours = || "it does not return a table as BAR writes it (`return { ... }`)".to_owned();
    match ast.nodes().last_stmt() {
        Some(LastStmt::Return(r)) => match r.returns().iter().next() {
            Some(e) => as_table(e).ok_or_else(not_ours),
            None => Err(not_ours()),
        },
        _ => Err(not_ours()),
    }
}

fn as_table(e: &Expression) -> Option<&TableConstructor> {
    match e {
        Expression::TableConstructor(t) => Some(t),
        Expression::Parentheses { expression, .. } => as_table(expression),
        _ => None,
    }
}

/// The value of the field keyed `key` (`key = v` or `["key"] = v`); the last one wins, as in Lua.
fn field<'a>(t: &'a TableConstructor, key: &str) -> Option<&'a Expression> {
    t.fields()
        .iter()
        .filter_map(|f| match f {
            Field::NameKey { key: k, value, .. } if identifier(k) == Some(key) => Some(&**value),
            Field::ExpressionKey { key: k, value, .. } if string(k) == Some(key) => Some(&**value),
            _ => None,
        })
        .last()
}

fn field_value(f: &Field) -> Option<&Expression> {
    match f {
        Field::ExpressionKey { value, .. } | Field::NameKey { value, .. } => Some(value),
        Field::NoKey(value) => Some(value),
        _ => None,
    }
}

fn identifier(t: &TokenReference) -> Option<&str> {
    match t.token_type() {
        TokenType::Identifier { identifier } => Some(identifier.as_str()),
        _ => None,
    }
}

fn string(e: &Expression) -> Option<&str> {
    match e {
        Expression::String(t) => match t.token_type() {
            TokenType::StringLiteral { literal, .. } => Some(literal.as_str()),
            _ => None,
        },
        Expression::Parentheses { expression, .. } => string(expression),
        _ => None,
    }
}

fn number(e: &Expression) -> Option<f64> {
    match e {
        Expression::Number(t) => {
            let s = t.token().to_string();
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16).ok().map(|v| v as f64),
                None => s.parse::<f64>().ok(),
            }
        }
        Expression::UnaryOperator { unop, expression } if unop.token().to_string() == "-" => {
            number(expression).map(|v| -v)
        }
        Expression::Parentheses { expression, .. } => number(expression),
        _ => None,
    }
}

fn boolean(e: &Expression) -> Option<bool> {
    match e {
        Expression::Symbol(t) => match t.token().to_string().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The byte range of an expression, without the spaces and comments around it.
fn span(e: &Expression) -> Result<(usize, usize), String> {
    match (e.start_position(), e.end_position()) {
        (Some(a), Some(b)) => Ok((a.bytes(), b.bytes())),
        _ => Err("the parser gave no position for the widget's entry".into()),
    }
}

fn after_open_brace(t: &TableConstructor) -> Result<usize, String> {
    let (open, _) = t.braces().tokens();
    Ok(open.token().end_position().bytes())
}

/// The indentation of the table's first field (so an added line looks like its neighbours), else the table's own
/// line indentation plus `depth` tabs.
fn field_indent(text: &str, t: &TableConstructor, depth: usize) -> String {
    let line_indent = |at: usize| -> String {
        let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        text[start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect()
    };
    if let Some(first) = t.fields().iter().next()
        && let Some(p) = first.start_position()
    {
        let at = p.bytes();
        let start = text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
        // Only when the field starts its own line; `{ a = 1 }` on one line gets the default.
        if text[start..at].chars().all(|c| c == ' ' || c == '\t') {
            return text[start..at].to_owned();
        }
    }
    let (open, _) = t.braces().tokens();
    format!(
        "{}{}",
        line_indent(open.token().start_position().bytes()),
        "\t".repeat(depth)
    )
}

fn splice(text: &str, (from, to): (usize, usize), with: &str) -> String {
    let mut s = String::with_capacity(text.len() + with.len());
    s.push_str(&text[..from]);
    s.push_str(with);
    s.push_str(&text[to..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = "Live Data Export";

    /// As BAR writes it (table.save), with other widgets' data, a comment and awkward names.
    const REAL: &str = "-- Widget Custom data and order\nreturn {\n\tallowUserWidgets = true,\n\tdata = {\n\t\t[\"Ecostats\"] = {\n\t\t\tshowBars = true, -- keep\n\t\t},\n\t\t[\"Zoë's \\\"HUD\\\" [v2]\"] = { x = 0.5 },\n\t},\n\torder = {\n\t\t[\"AdvPlayersList\"] = 12,\n\t\t[\"Zoë's \\\"HUD\\\" [v2]\"] = 0,\n\t\t[\"Ecostats\"] = 45,\n\t},\n}\n";

    fn changed_lines(a: &str, b: &str) -> Vec<String> {
        let old: Vec<&str> = a.lines().collect();
        b.lines()
            .filter(|l| !old.contains(l))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn adds_the_entry_after_the_highest_and_changes_nothing_else() {
        let out = enable(REAL, W).unwrap().unwrap();
        assert_eq!(
            changed_lines(REAL, &out),
            ["\t\t[\"Live Data Export\"] = 46,"]
        );
        // Every old line is still there, in order.
        let kept: Vec<&str> = out.lines().filter(|l| !l.contains(W)).collect();
        assert_eq!(kept, REAL.lines().collect::<Vec<_>>());
        assert_eq!(
            read(&out, W).unwrap(),
            Info {
                order: Some(46.0),
                allow_user_widgets: Some(true)
            }
        );
    }

    #[test]
    fn an_entry_at_zero_is_set_in_place() {
        let off = REAL.replace(
            "[\"Ecostats\"] = 45,",
            "[\"Ecostats\"] = 45,\n\t\t[\"Live Data Export\"] = 0,",
        );
        let out = enable(&off, W).unwrap().unwrap();
        assert_eq!(
            out,
            off.replace("[\"Live Data Export\"] = 0", "[\"Live Data Export\"] = 46")
        );
    }

    #[test]
    fn an_enabled_widget_is_left_alone() {
        let on = REAL.replace(
            "[\"Ecostats\"] = 45,",
            "[\"Ecostats\"] = 45,\n\t\t[\"Live Data Export\"] = 3,",
        );
        assert_eq!(enable(&on, W).unwrap(), None);
        assert!(read(&on, W).unwrap().enabled());
    }

    #[test]
    fn a_file_without_order_gets_one() {
        let text = "return {\n  data = {},\n  allowUserWidgets = false,\n}\n";
        let out = enable(text, W).unwrap().unwrap();
        assert_eq!(
            out,
            "return {\n  order = {\n  \t[\"Live Data Export\"] = 1,\n  },\n  data = {},\n  allowUserWidgets = false,\n}\n"
        );
        // Never flipped: the user turned user widgets off, and is told so elsewhere.
        assert_eq!(read(&out, W).unwrap().allow_user_widgets, Some(false));
    }

    #[test]
    fn one_line_tables_and_empty_order() {
        let out = enable("return {order={}}", W).unwrap().unwrap();
        assert_eq!(read(&out, W).unwrap().order, Some(1.0));
        let out = enable("return { order = { a = 2 }, data = {} }", W)
            .unwrap()
            .unwrap();
        assert_eq!(read(&out, W).unwrap().order, Some(3.0));
    }

    #[test]
    fn the_minimal_file_reads_as_enabled() {
        let info = read(&minimal(W), W).unwrap();
        assert!(info.enabled());
        assert_eq!(info.allow_user_widgets, Some(true));
    }

    #[test]
    fn files_that_are_not_bars_table_are_refused() {
        for bad in ["return {", "x = 1", "return 5", "return { order = 5 }", ""] {
            let res = enable(bad, W);
            assert!(res.is_err(), "{bad:?} gave {res:?}");
        }
    }
}
