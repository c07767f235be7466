// serde's names count: `serial` is `Serial` under rename_all, and the
// second field is renamed to the same name in another case.
#[derive(kfql::Record, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Cert {
    serial: String,
    #[serde(rename = "SERIAL")]
    serial_number: String,
}

fn main() {}
