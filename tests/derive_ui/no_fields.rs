#[derive(kfql::Record)]
struct Cert {
    #[kfql(skip)]
    notes: Vec<u8>,
}

fn main() {}
