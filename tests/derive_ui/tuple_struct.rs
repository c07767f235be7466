#[derive(kfql::Record)]
struct Cert(String, i64);

fn main() {}
