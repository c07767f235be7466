#[derive(kfql::Enum)]
enum Stage {
    Draft,
    #[kfql(rename = "draft")]
    Sketch,
}

fn main() {}
