#[derive(kfql::Record)]
#[kfql(rename_all = "kebab-case")]
struct Cert {
    days_left: i64,
}

fn main() {}
