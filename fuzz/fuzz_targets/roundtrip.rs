//! Whatever parses prints to a canonical form that parses to an equal AST
//! and prints identically; the serde form round-trips too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(query) = kfql::parse(text) else { return };
    let printed = query.to_string();
    let again = kfql::parse(&printed).unwrap_or_else(|e| panic!("canonical form {printed:?} fails: {e}"));
    assert_eq!(again, query, "{printed:?}");
    assert_eq!(again.to_string(), printed);
    let json = serde_json::to_string(&query).expect("serializes");
    let back: kfql::Query = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, query);
});
