#[derive(kfql::Enum)]
struct Stage {
    name: String,
}

fn main() {}
