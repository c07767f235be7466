struct Details;

#[derive(kfql::Record)]
struct Cert {
    serial: String,
    #[kfql(object, default_sort)]
    details: Option<Details>,
}

fn main() {}
