#[derive(kfql::Record)]
struct Cert {
    #[kfql(not_sortable = true)]
    serial: String,
}

fn main() {}
