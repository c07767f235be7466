#[derive(kfql::Record)]
struct Cert {
    #[kfql(rename = "AND")]
    serial: String,
}

fn main() {}
