//! Stripe's request encoding: `application/x-www-form-urlencoded` bodies and query strings with
//! bracketed keys (`metadata[k]=v`, `expand[]=customer`, `expand[0]=customer`,
//! `created[gte]=1700000000`), decoded into nested JSON.

use serde_json::{Map, Value};

/// Decodes `input` into an object. Repeated or indexed `[]` keys become arrays.
pub fn parse(input: &[u8]) -> Value {
    let mut root = Value::Object(Map::new());
    for (key, value) in form_urlencoded::parse(input) {
        let mut path = Vec::new();
        let (head, rest) = key.split_once('[').map_or((key.as_ref(), ""), |(h, r)| (h, r));
        path.push(head.to_string());
        for seg in rest.split('[') {
            path.push(seg.trim_end_matches(']').to_string());
        }
        if rest.is_empty() {
            path.truncate(1);
        }
        insert(&mut root, &path, value.into_owned());
    }
    root
}

fn insert(node: &mut Value, path: &[String], value: String) {
    let Some((seg, rest)) = path.split_first() else { return };
    let is_index = seg.is_empty() || seg.parse::<usize>().is_ok();
    if is_index {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        let Value::Array(items) = node else { return };
        if rest.is_empty() {
            items.push(Value::String(value));
            return;
        }
        // `items[0][price]=…`: a new element for a new index, else the last one.
        let index = seg.parse::<usize>().unwrap_or(items.len());
        while items.len() <= index {
            items.push(Value::Object(Map::new()));
        }
        insert(&mut items[index], rest, value);
        return;
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    let Value::Object(map) = node else { return };
    if rest.is_empty() {
        map.insert(seg.clone(), Value::String(value));
    } else {
        insert(map.entry(seg.clone()).or_insert(Value::Null), rest, value);
    }
}

/// The strings of an array parameter such as `expand`.
pub fn strings(params: &Value, key: &str) -> Vec<String> {
    match params.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn decodes_brackets_arrays_and_percent_encoding() {
        let v = super::parse(b"limit=3&expand%5B0%5D=customer&expand%5B1%5D=line_items&metadata[payref_ref]=ab%2Bc&created[gte]=10&types[]=a&types[]=b&q=x+y");
        assert_eq!(
            v,
            json!({"limit":"3","expand":["customer","line_items"],"metadata":{"payref_ref":"ab+c"},"created":{"gte":"10"},"types":["a","b"],"q":"x y"})
        );
        assert_eq!(super::strings(&v, "expand"), vec!["customer", "line_items"]);
        assert_eq!(super::parse(b"items[0][price]=p1&items[1][price]=p2"), json!({"items":[{"price":"p1"},{"price":"p2"}]}));
        assert_eq!(super::parse(b""), json!({}));
    }
}
