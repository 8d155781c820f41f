//! How many files are read at once: reading a workbook or a large CSV takes memory in
//! proportion to the file, so a server (one gate, made with its routes) reads at most
//! [`FILES_AT_ONCE`] files at a time, and one per account. A refused caller tells the user to try again; nothing waits without bound.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use domain::AccountId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Files a server reads at once.
pub const FILES_AT_ONCE: usize = 2;

/// Why a file cannot be read now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    #[error("A file of yours is already being imported or previewed. Wait for it to finish, then try again.")]
    Account,
    #[error("The server is reading other files just now. Try again in a minute.")]
    Server,
}

/// The right to read one file; dropping it lets the next in.
#[derive(Debug)]
pub struct Pass {
    _permit: OwnedSemaphorePermit,
    account: AccountId,
    gate: Arc<Gate>,
}

impl Drop for Pass {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.gate.accounts.lock() {
            busy.remove(&self.account);
        }
    }
}

#[derive(Debug)]
pub struct Gate {
    files: Arc<Semaphore>,
    accounts: Mutex<HashSet<AccountId>>,
}

impl Gate {
    /// A server's gate: at most `files` files at once.
    pub fn new(files: usize) -> Arc<Gate> {
        Arc::new(Gate {
            files: Arc::new(Semaphore::new(files)),
            accounts: Mutex::new(HashSet::new()),
        })
    }

    /// A pass to read one file for `account`, unless the account or the server is busy.
    pub fn enter(self: &Arc<Self>, account: AccountId) -> Result<Pass, Busy> {
        let mut busy = self.accounts.lock().map_err(|_| Busy::Server)?;
        if busy.contains(&account) {
            return Err(Busy::Account);
        }
        let permit = self.files.clone().try_acquire_owned().map_err(|_| Busy::Server)?;
        busy.insert(account);
        Ok(Pass { _permit: permit, account, gate: self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_account_and_a_few_per_server() {
        let gate = Gate::new(2);
        let (a, b, c) = (
            AccountId::from_uuid(uuid::Uuid::from_u128(1)),
            AccountId::from_uuid(uuid::Uuid::from_u128(2)),
            AccountId::from_uuid(uuid::Uuid::from_u128(3)),
        );
        let pa = gate.enter(a).unwrap();
        assert_eq!(gate.enter(a).unwrap_err(), Busy::Account);
        let pb = gate.enter(b).unwrap();
        assert_eq!(gate.enter(c).unwrap_err(), Busy::Server);
        drop(pa);
        let _pc = gate.enter(c).unwrap();
        assert_eq!(gate.enter(a).unwrap_err(), Busy::Server);
        drop(pb);
        let _pa = gate.enter(a).unwrap();
    }
}
