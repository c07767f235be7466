#[derive(kfql::Record)]
#[kfql(key = "Serial")]
struct Cert {
    serial: String,
}

fn main() {}
