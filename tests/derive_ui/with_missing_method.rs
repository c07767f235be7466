#[derive(kfql::Record)]
struct Cert {
    #[kfql(with = "days_remaining")]
    days_left: i64,
}

fn main() {}
