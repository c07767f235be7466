#[derive(kfql::Record)]
enum Cert {
    Serial(String),
}

fn main() {}
