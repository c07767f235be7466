#[derive(kfql::Record)]
struct Cert;

fn main() {}
