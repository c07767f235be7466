#[derive(kfql::Record)]
struct Cert {
    #[kfql(rename)]
    serial: String,
}

fn main() {}
