#[derive(kfql::Enum)]
#[kfql(rename_all = "Title Case")]
enum Stage {
    Draft,
    InReview,
}

fn main() {}
