#[derive(kfql::Record)]
struct Cert {
    #[kfql(key, not_sortable)]
    serial: String,
}

fn main() {}
