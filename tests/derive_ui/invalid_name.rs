#[derive(kfql::Record)]
struct Cert {
    #[kfql(rename = "Days Left")]
    days_left: i64,
}

fn main() {}
