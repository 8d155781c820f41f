//! `rolo book …` and `rolo team …`: address books, their shares, company directories and teams
//! from the command line, with the same rules as the console (the store decides who may).

use clap::Subcommand;
use domain::{AccountInfo, BookInfo, Grantee, TeamId, Username};
use store::{Scope, Store, StoreError};

use crate::config::Config;
use crate::setup::open_store;

#[derive(Subcommand, Debug)]
pub enum BookCmd {
    /// The books an account may read, with what it may do in each.
    List {
        #[arg(long)]
        account: String,
    },
    /// A new book of the account (or, with --directory, a company directory: admins only).
    Create {
        #[arg(long)]
        account: String,
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        directory: bool,
    },
    /// Renames and describes a book (its owner).
    Rename {
        #[arg(long)]
        account: String,
        book: String,
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Puts a book in the trash (its owner; not the first book).
    Delete {
        #[arg(long)]
        account: String,
        book: String,
    },
    /// Takes a book out of the trash.
    Restore {
        #[arg(long)]
        account: String,
        book: String,
    },
    /// Shares a book with an account (--with), a team (--team) or everyone (--everyone).
    Share {
        #[arg(long)]
        account: String,
        book: String,
        #[command(flatten)]
        to: GranteeArgs,
        /// Allow changes too (read-only without it).
        #[arg(long)]
        write: bool,
    },
    /// Withdraws a share (the same --with, --team or --everyone).
    Unshare {
        #[arg(long)]
        account: String,
        book: String,
        #[command(flatten)]
        to: GranteeArgs,
    },
}

/// Whom a share is for: one of these.
#[derive(clap::Args, Debug)]
pub struct GranteeArgs {
    #[arg(long)]
    with: Option<String>,
    #[arg(long)]
    team: Option<String>,
    #[arg(long)]
    everyone: bool,
}

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Every team and its members.
    List,
    Create {
        name: String,
    },
    Delete {
        team: String,
    },
    /// Adds accounts to a team.
    Add {
        team: String,
        usernames: Vec<String>,
    },
    /// Removes accounts from a team.
    Remove {
        team: String,
        usernames: Vec<String>,
    },
}

fn explain(e: StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.to_string(),
        StoreError::NotFound => "not found".into(),
        other => other.to_string(),
    }
}

pub(crate) async fn account(store: &Store, name: &str) -> Result<AccountInfo, String> {
    let user = Username::parse(name).map_err(|e| format!("invalid username {name:?}: {e}"))?;
    store.account_by_username(&user).await.map_err(|e| match e {
        StoreError::NotFound => format!("no account named {user}"),
        other => explain(other),
    })
}

/// A book by name or id among those the account may read.
pub(crate) async fn find_book(
    store: &Store,
    a: &AccountInfo,
    key: &str,
) -> Result<(BookInfo, Scope), String> {
    let books = store.book_scopes(a.id).await.map_err(explain)?;
    let found: Vec<(BookInfo, Scope)> =
        books.into_iter().filter(|(b, _)| b.id.to_string() == key || b.name == key).collect();
    match found.len() {
        1 => Ok(found.into_iter().next().ok_or("no book")?),
        0 => Err(format!("{} has no address book {key:?} (see rolo book list)", a.username)),
        _ => Err(format!("{} has several address books named {key:?}: give its id", a.username)),
    }
}

async fn team(store: &Store, key: &str) -> Result<TeamId, String> {
    let teams = store.teams().await.map_err(explain)?;
    teams
        .iter()
        .find(|t| t.id.to_string() == key || t.name == key)
        .map(|t| t.id)
        .ok_or_else(|| format!("no team {key:?} (see rolo team list)"))
}

async fn grantee(store: &Store, to: GranteeArgs) -> Result<Grantee, String> {
    match (to.with, to.team, to.everyone) {
        (Some(u), None, false) => Ok(Grantee::Account(account(store, &u).await?.id)),
        (None, Some(t), false) => Ok(Grantee::Team(team(store, &t).await?)),
        (None, None, true) => Ok(Grantee::Everyone),
        _ => Err("give one of --with USERNAME, --team NAME or --everyone".into()),
    }
}

fn denied(e: StoreError) -> String {
    match e {
        StoreError::NotOwner => "only the address book's owner may do that".into(),
        other => explain(other),
    }
}

pub async fn run_book(config: &Config, cmd: BookCmd) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        BookCmd::List { account: name } => {
            let a = account(&store, &name).await?;
            for b in store.books(a.id).await.map_err(explain)? {
                let by = b.owner_name.filter(|o| *o != a.username.as_str());
                println!(
                    "{}  {:<30} {:<10} {}{}",
                    b.id,
                    b.name,
                    b.access.as_str(),
                    b.kind.as_str(),
                    by.map(|o| format!(", shared by {o}")).unwrap_or_default()
                );
            }
        }
        BookCmd::Create { account: name, name: book_name, description, directory } => {
            let a = account(&store, &name).await?;
            let b = if directory {
                store.create_directory(a.id, &book_name, &description).await
            } else {
                store.create_book(a.id, &book_name, &description).await
            }
            .map_err(|e| match e {
                StoreError::NotOwner => format!("{} is not an administrator", a.username),
                other => explain(other),
            })?;
            println!("Created {} “{}” ({}).", b.kind.as_str(), b.name, b.id);
        }
        BookCmd::Rename { account: name, book: key, name: new, description } => {
            let a = account(&store, &name).await?;
            let (b, scope) = find_book(&store, &a, &key).await?;
            let description = description.unwrap_or(b.description);
            store.update_book(scope, &new, &description).await.map_err(denied)?;
            println!("Renamed “{}” to “{new}”.", b.name);
        }
        BookCmd::Delete { account: name, book: key } => {
            let a = account(&store, &name).await?;
            let (b, scope) = find_book(&store, &a, &key).await?;
            store.delete_book(scope).await.map_err(denied)?;
            println!("“{}” is in the trash (rolo book restore brings it back).", b.name);
        }
        BookCmd::Restore { account: name, book: key } => {
            let a = account(&store, &name).await?;
            let trashed = store.trashed_books(a.id).await.map_err(explain)?;
            let b = trashed
                .iter()
                .find(|b| b.id.to_string() == key || b.name == key)
                .ok_or_else(|| format!("no address book {key:?} in {}'s trash", a.username))?;
            store.restore_book(a.id, b.id).await.map_err(explain)?;
            println!("Restored “{}”.", b.name);
        }
        BookCmd::Share { account: name, book: key, to, write } => {
            let a = account(&store, &name).await?;
            let (b, scope) = find_book(&store, &a, &key).await?;
            let g = grantee(&store, to).await?;
            store.share_book(scope, &g, write).await.map_err(denied)?;
            println!(
                "Shared “{}” ({}).",
                b.name,
                if write { "read and write" } else { "read-only" }
            );
        }
        BookCmd::Unshare { account: name, book: key, to } => {
            let a = account(&store, &name).await?;
            let (b, scope) = find_book(&store, &a, &key).await?;
            let g = grantee(&store, to).await?;
            if !store.unshare_book(scope, &g).await.map_err(denied)? {
                return Err(format!("“{}” was not shared that way", b.name));
            }
            println!("Stopped sharing “{}” that way.", b.name);
        }
    }
    Ok(())
}

async fn set_members(
    store: &Store,
    key: &str,
    usernames: &[String],
    member: bool,
) -> Result<(), String> {
    let id = team(store, key).await?;
    for name in usernames {
        let a = account(store, name).await?;
        store.set_team_member(id, a.id, member).await.map_err(explain)?;
        println!("{} {} {key}.", a.username, if member { "is now in" } else { "is no longer in" });
    }
    Ok(())
}

pub async fn run_team(config: &Config, cmd: TeamCmd) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        TeamCmd::List => {
            for t in store.teams().await.map_err(explain)? {
                let members: Vec<&str> = t.members.iter().map(|m| m.1.as_str()).collect();
                println!("{}  {:<30} {}", t.id, t.name, members.join(", "));
            }
        }
        TeamCmd::Create { name } => {
            let t = store.create_team(&name).await.map_err(explain)?;
            println!("Created team “{}” ({}).", t.name, t.id);
        }
        TeamCmd::Delete { team: key } => {
            let id = team(&store, &key).await?;
            store.delete_team(id).await.map_err(explain)?;
            println!("Deleted the team and every share made to it.");
        }
        TeamCmd::Add { team: key, usernames } => {
            set_members(&store, &key, &usernames, true).await?
        }
        TeamCmd::Remove { team: key, usernames } => {
            set_members(&store, &key, &usernames, false).await?
        }
    }
    Ok(())
}
