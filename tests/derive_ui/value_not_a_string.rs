#[derive(kfql::Record)]
struct Cert {
    #[kfql(rename = Serial)]
    serial: String,
}

fn main() {}
