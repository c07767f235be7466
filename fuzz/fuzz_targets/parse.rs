//! Any bytes → parse: no panic; every error span lies inside the input and
//! on character boundaries; rendering and serializing never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parser = kfql::Parser::new();
    if let Err(e) = parser.parse_bytes(data) {
        let span = e.span().expect("parse errors carry a span");
        assert!(span.start <= span.end && span.end <= data.len(), "{span:?} outside {} bytes", data.len());
        if let Ok(text) = std::str::from_utf8(data) {
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end), "{span:?} splits a char");
        }
        let rendered = e.render();
        assert!(rendered.starts_with("error: "));
        serde_json::to_string(&e).expect("errors serialize");
    }
});
