#[derive(kfql::Enum)]
enum Stage {
    Draft,
    InReview { reviewer: String },
}

fn main() {}
