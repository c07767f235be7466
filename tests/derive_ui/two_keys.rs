#[derive(kfql::Record)]
struct Cert {
    #[kfql(key)]
    serial: String,
    #[kfql(key)]
    id: i64,
}

fn main() {}
