fn main() {
    for q in std::env::args().skip(1) {
        match kfql::parse(&q) {
            Ok(q) => println!("OK {q}\n{q:?}"),
            Err(e) => print!("{:?} {:?}\n{}", e.kind(), e.span(), e.render()),
        }
    }
}
