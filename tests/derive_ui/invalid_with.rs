#[derive(kfql::Record)]
struct Cert {
    #[kfql(with = "days left")]
    days_left: i64,
}

fn main() {}
