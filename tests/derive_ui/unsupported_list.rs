// Only lists of strings are fields.
#[derive(kfql::Record)]
struct Cert {
    serial: String,
    sizes: Vec<i64>,
}

fn main() {}
