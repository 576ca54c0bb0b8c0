//! A small reader over `serde_json::Value` that tracks field paths and collects errors.
//!
//! Hand-written because serde's derive reports one error at a time and cannot tell a client
//! which replacement to use for a legacy key. This reader reports every problem with its path.

use serde_json::{Map, Value};

use super::FieldError;

/// Collects field errors while a document is read.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub(crate) list: Vec<FieldError>,
}

impl Errors {
    pub(crate) fn push(&mut self, path: &str, value: impl Into<String>, expected: impl Into<String>) {
        self.list.push(FieldError { path: path.to_string(), value: value.into(), expected: expected.into() });
    }

    pub(crate) fn invalid(&mut self, path: &str, value: &Value, expected: impl Into<String>) {
        self.push(path, render(value), expected);
    }
}

/// Renders a value for an error message, shortened so a huge value cannot flood the output.
pub(crate) fn render(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Joins a parent path and a key.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// An object being read: remembers which keys were used so the rest can be reported.
pub(crate) struct Object<'a> {
    pub(crate) path: String,
    map: &'a Map<String, Value>,
    used: Vec<&'a str>,
}

impl<'a> Object<'a> {
    /// Starts reading `value` as an object, or records an error and returns `None`.
    pub(crate) fn new(path: &str, value: &'a Value, errors: &mut Errors) -> Option<Object<'a>> {
        match value {
            Value::Object(map) => Some(Object { path: path.to_string(), map, used: Vec::new() }),
            other => {
                errors.invalid(if path.is_empty() { "(document)" } else { path }, other, "an object");
                None
            }
        }
    }

    /// Path of a key of this object.
    pub(crate) fn child(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Takes the first present key among `names` (a field and its aliases). Reports an error
    /// when two of them are present, because their values could disagree.
    pub(crate) fn take(&mut self, names: &[&'a str], errors: &mut Errors) -> Option<(String, &'a Value)> {
        let mut found: Option<(&'a str, &'a Value)> = None;
        for &name in names {
            if let Some((key, value)) = self.map.get_key_value(name) {
                self.used.push(key.as_str());
                if let Some((first, _)) = found {
                    errors.invalid(
                        &self.child(name),
                        value,
                        format!("only one of `{first}` and `{name}`, which are aliases"),
                    );
                } else {
                    found = Some((key.as_str(), value));
                }
            }
        }
        found.filter(|(_, value)| !value.is_null()).map(|(key, value)| (self.child(key), value))
    }

    /// Marks a key as handled elsewhere.
    pub(crate) fn mark_used(&mut self, name: &'a str) {
        if let Some((key, _)) = self.map.get_key_value(name) {
            self.used.push(key.as_str());
        }
    }

    /// Whether the object has `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Reports every key that was not read, naming the accepted keys.
    pub(crate) fn finish(self, accepted: &[&str], errors: &mut Errors) {
        for (key, value) in self.map {
            if !self.used.contains(&key.as_str()) {
                errors.push(
                    &join(&self.path, key),
                    render(value),
                    format!("unknown key; accepted keys here: {}", accepted.join(", ")),
                );
            }
        }
    }
}

/// Reads a string.
pub(crate) fn string(path: &str, value: &Value, errors: &mut Errors) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        other => {
            errors.invalid(path, other, "a string");
            None
        }
    }
}

/// Reads a finite number within `[min, max]`.
pub(crate) fn number(path: &str, value: &Value, min: f64, max: f64, errors: &mut Errors) -> Option<f64> {
    match value.as_f64() {
        Some(x) if x.is_finite() && x >= min && x <= max => Some(x),
        _ => {
            errors.invalid(path, value, format!("a number from {min} to {max}"));
            None
        }
    }
}

/// Reads a whole number within `[min, max]`; accepts `5.0` but not `5.5`.
pub(crate) fn integer(path: &str, value: &Value, min: u64, max: u64, errors: &mut Errors) -> Option<u64> {
    let parsed = match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64().filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x <= u64::MAX as f64).map(|x| x as u64)
        }),
        _ => None,
    };
    match parsed {
        Some(n) if n >= min && n <= max => Some(n),
        _ => {
            errors.invalid(path, value, format!("a whole number from {min} to {max}"));
            None
        }
    }
}

/// Reads an array.
pub(crate) fn array<'a>(path: &str, value: &'a Value, errors: &mut Errors) -> Option<&'a Vec<Value>> {
    match value {
        Value::Array(items) => Some(items),
        other => {
            errors.invalid(path, other, "an array");
            None
        }
    }
}

/// Normalises a spelling for lenient matching: lower case, with spaces and hyphens as `_`.
pub(crate) fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}
