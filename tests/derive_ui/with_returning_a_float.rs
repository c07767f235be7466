#[derive(kfql::Record)]
struct Cert {
    #[kfql(with = "days")]
    days_left: Option<i64>,
}

impl Cert {
    fn days(&self) -> f64 {
        self.days_left.unwrap_or(0) as f64
    }
}

fn main() {}
