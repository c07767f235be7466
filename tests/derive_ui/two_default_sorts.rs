#[derive(kfql::Record)]
struct Cert {
    #[kfql(default_sort)]
    serial: String,
    #[kfql(default_sort)]
    id: i64,
}

fn main() {}
