#[derive(kfql::Record)]
struct Cert {
    #[kfql(key = "x")]
    serial: String,
}

fn main() {}
