use std::collections::HashMap;

#[derive(kfql::Record)]
struct Cert {
    serial: String,
    score: f64,
    labels: HashMap<String, String>,
}

fn main() {}
