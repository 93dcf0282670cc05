use memokit::cached;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Account(u64);

#[cached(redis)]
fn balance(account: Account) -> u64 {
    account.0
}

fn main() {}
