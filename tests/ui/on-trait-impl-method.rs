use memokit::cached;

trait Store {
    fn load(&self, id: u64) -> String;
}

struct Disk;

impl Store for Disk {
    #[cached(key = id)]
    fn load(&self, id: u64) -> String {
        id.to_string()
    }
}

fn main() {
    let _ = Disk.load(1);
}
