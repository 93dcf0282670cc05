use memokit::cached;

trait Store {
    #[cached]
    fn load(&self, id: u64) -> String;
}

struct Disk;

impl Store for Disk {
    fn load(&self, id: u64) -> String {
        id.to_string()
    }
}

fn main() {
    let _ = Disk.load(1);
}
