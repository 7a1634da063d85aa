use serde_json::{Map, Value};

/// Free-form attributes Keystone keeps beside a resource's columns (`email` on a
/// user, `name` on a service, ...), stored as a JSON object in the `extra` column and
/// rendered as top-level keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extra(pub Map<String, Value>);

impl Extra {
    pub fn parse(column: &Option<String>) -> Self {
        column
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .map(Extra)
            .unwrap_or_default()
    }

    pub fn to_column(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| Value::Object(self.0.clone()).to_string())
    }

    /// Applies an update: new keys set, `null` kept as null (as Keystone stores it).
    pub fn merge(&mut self, update: Map<String, Value>) {
        self.0.extend(update);
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
}
