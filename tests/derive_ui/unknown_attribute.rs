#[derive(kfql::Record)]
struct Cert {
    #[kfql(sortable)]
    serial: String,
}

fn main() {}
