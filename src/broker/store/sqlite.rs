//! The embedded backend: one SQLite file (WAL), created with its folder on first use, with
//! numbered migrations compiled into the binary. One connection behind a mutex: every state
//! change is one `BEGIN IMMEDIATE` transaction.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, Row, TransactionBehavior, params};

use super::{Attempt, AttemptRecord, Attempted, Store, StoreError, StoredRequest, parse_state};
use crate::approval::signed::{Answer, Signer};
use crate::approval::wire::State;
use crate::broker::decide::{self, Standing};
use crate::broker::signing::{DecisionSigner, Final};

/// Migration N brings the schema to `user_version` N.
const MIGRATIONS: &[&str] =
    &[include_str!("migrations/001_requests.sql"), include_str!("migrations/002_chat_messages.sql")];

pub struct SqliteStore {
    connection: Mutex<Connection>,
}

const COLUMNS: &str = "id, host, body, plan, created, deadline, state, signed, note";

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let failed = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|error| failed(error.to_string()))?;
        }
        let connection = Connection::open(path).map_err(|error| failed(error.to_string()))?;
        let store = SqliteStore::setup(connection).map_err(|error| failed(error.to_string()))?;
        // SQLite is built without directory fsyncs (.cargo/config.toml): the store's file and
        // its -wal, which this connection keeps for as long as the broker runs, are made durable
        // in their folder here, once.
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| failed(error.to_string()))?;
        Ok(store)
    }

    /// A store in memory, for tests.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::setup(Connection::open_in_memory()?)
    }

    fn setup(mut connection: Connection) -> Result<SqliteStore, StoreError> {
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            transaction.execute_batch(migration)?;
            transaction.pragma_update(None, "user_version", index as i64 + 1)?;
        }
        transaction.commit()?;
        Ok(SqliteStore { connection: Mutex::new(connection) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done transaction: SQLite rolled it back.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn read_request(connection: &Connection, row: &Row) -> Result<StoredRequest, StoreError> {
    let id: String = row.get(0)?;
    let state: String = row.get(6)?;
    let signed: Option<String> = row.get(7)?;
    let signed = match signed {
        Some(text) => Some(serde_json::from_str(&text)?),
        None => None,
    };
    Ok(StoredRequest {
        approvals: counted(connection, &id)?,
        host: row.get(1)?,
        body: serde_json::from_str(&row.get::<_, String>(2)?)?,
        plan: serde_json::from_str(&row.get::<_, String>(3)?)?,
        created: row.get(4)?,
        deadline: row.get(5)?,
        state: parse_state(&state).ok_or_else(|| StoreError::Database(format!("unknown state {state:?}")))?,
        signed,
        note: row.get(8)?,
        id,
    })
}

fn counted(connection: &Connection, id: &str) -> Result<Vec<Signer>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT person, channel, comment, time FROM attempts WHERE request_id = ?1 AND accepted = 1 ORDER BY seq",
    )?;
    let rows = statement.query_map([id], |row| {
        Ok(Signer { person: row.get(0)?, channel: row.get(1)?, comment: row.get(2)?, time: row.get(3)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn select(connection: &Connection, id: &str) -> Result<Option<StoredRequest>, StoreError> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {COLUMNS} FROM requests WHERE id = ?1"))?;
    let mut rows = statement.query([id])?;
    match rows.next()? {
        Some(row) => Ok(Some(read_request(connection, row)?)),
        None => Ok(None),
    }
}

fn select_many(
    connection: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<StoredRequest>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    let mut rows = statement.query(args)?;
    let mut requests = Vec::new();
    while let Some(row) = rows.next()? {
        requests.push(read_request(connection, row)?);
    }
    Ok(requests)
}

fn log(connection: &Connection, attempt: &Attempt, accepted: bool, reason: &str) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO attempts (request_id, time, person, channel, answer, comment, accepted, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            attempt.request_id,
            attempt.time,
            attempt.person,
            attempt.channel,
            attempt.answer.as_str(),
            attempt.comment,
            accepted,
            reason
        ],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn create_request(&self, request: &StoredRequest) -> Result<(), StoreError> {
        let connection = self.lock();
        let inserted = connection.execute(
            "INSERT INTO requests (id, host, body, plan, created, deadline, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
            params![
                request.id,
                request.host,
                serde_json::to_string(&request.body)?,
                serde_json::to_string(&request.plan)?,
                request.created,
                request.deadline,
                request.state.as_str(),
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::Duplicate(request.id.clone()));
        }
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<StoredRequest>, StoreError> {
        select(&self.lock(), id)
    }

    fn find_by_prefix(&self, prefix: &str) -> Result<StoredRequest, StoreError> {
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound(prefix.to_string()));
        }
        let prefix = prefix.to_ascii_lowercase();
        let connection = self.lock();
        // Hex ids sort by prefix: the range [prefix, prefix + 'g') holds exactly the matches.
        let mut matches = select_many(
            &connection,
            &format!("SELECT {COLUMNS} FROM requests WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 2"),
            params![prefix, format!("{prefix}g")],
        )?;
        match matches.len() {
            0 => Err(StoreError::NotFound(prefix)),
            1 => Ok(matches.remove(0)),
            _ => {
                let count: i64 = connection.query_row(
                    "SELECT count(*) FROM requests WHERE id >= ?1 AND id < ?2",
                    params![prefix, format!("{prefix}g")],
                    |row| row.get(0),
                )?;
                Err(StoreError::Ambiguous { prefix, count: count as usize })
            }
        }
    }

    fn list(&self, state: Option<State>) -> Result<Vec<StoredRequest>, StoreError> {
        let connection = self.lock();
        match state {
            Some(state) => select_many(
                &connection,
                &format!("SELECT {COLUMNS} FROM requests WHERE state = ?1 ORDER BY created, id"),
                [state.as_str()],
            ),
            None => {
                select_many(&connection, &format!("SELECT {COLUMNS} FROM requests ORDER BY created, id"), [])
            }
        }
    }

    fn record_attempt(&self, attempt: &Attempt, signer: &DecisionSigner) -> Result<Attempted, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(request) = select(&transaction, &attempt.request_id)? else {
            return Err(StoreError::NotFound(attempt.request_id.clone()));
        };
        let persons: Vec<String> = request.approvals.iter().map(|signer| signer.person.clone()).collect();
        let counted = match request.state {
            State::Denied => persons.last().cloned().into_iter().collect(),
            _ => persons,
        };
        let standing = Standing {
            state: request.state,
            deadline: request.deadline,
            plan: &request.plan,
            counted: &counted,
        };
        let judged = match &attempt.refused {
            Some(refusal) => Err(refusal.clone()),
            None => decide::judge(&standing, &attempt.person, attempt.answer, attempt.now),
        };
        let outcome = match judged {
            Err(refusal) => {
                log(&transaction, attempt, false, &refusal.to_string())?;
                transaction.commit()?;
                return Ok(Attempted::Refused(refusal));
            }
            Ok(outcome) => outcome,
        };
        let reason = outcome.map_or("counted", State::as_str);
        log(&transaction, attempt, true, reason)?;
        let me = Signer {
            person: attempt.person.clone(),
            channel: attempt.channel.clone(),
            comment: attempt.comment.clone(),
            time: attempt.time.clone(),
        };
        if let Some(state) = outcome {
            let (decision, approvers) = match state {
                State::Denied => (Answer::Deny, vec![me]),
                _ => (Answer::Approve, request.approvals.iter().cloned().chain([me]).collect()),
            };
            let signed = signer.sign(Final {
                request_id: &request.id,
                command_sha256: &request.body.command_sha256,
                decision,
                approvers,
                comment: attempt.comment.clone(),
                time: attempt.time.clone(),
            });
            transaction.execute(
                "UPDATE requests SET state = ?2, signed = ?3, finished = ?4 WHERE id = ?1 AND state = 'pending'",
                params![request.id, state.as_str(), signed.to_text(), attempt.time],
            )?;
        }
        let request = select(&transaction, &attempt.request_id)?.expect("read in this transaction");
        transaction.commit()?;
        Ok(Attempted::Counted { request: Box::new(request), became_final: outcome.is_some() })
    }

    fn withdraw(&self, id: &str, reason: &str, time: &str) -> Result<StoredRequest, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        transaction.execute(
            "UPDATE requests SET state = 'withdrawn', note = ?2, finished = ?3 WHERE id = ?1 AND state = 'pending'",
            params![id, reason, time],
        )?;
        let request = select(&transaction, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        transaction.commit()?;
        Ok(request)
    }

    fn expire_due(&self, now: i64, time: &str) -> Result<Vec<StoredRequest>, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<String> = {
            let mut statement = transaction
                .prepare_cached("SELECT id FROM requests WHERE state = 'pending' AND deadline < ?1")?;
            statement.query_map([now], |row| row.get(0))?.collect::<Result<_, _>>()?
        };
        let mut expired = Vec::new();
        for id in ids {
            transaction.execute(
                "UPDATE requests SET state = 'expired', note = 'no decision before the deadline', finished = ?2
                 WHERE id = ?1 AND state = 'pending'",
                params![id, time],
            )?;
            expired.extend(select(&transaction, &id)?);
        }
        transaction.commit()?;
        Ok(expired)
    }

    fn attempts(&self, id: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT time, person, channel, answer, comment, accepted, reason FROM attempts
             WHERE request_id = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map([id], |row| {
            let answer: String = row.get(3)?;
            Ok(AttemptRecord {
                time: row.get(0)?,
                person: row.get(1)?,
                channel: row.get(2)?,
                answer: if answer == "deny" { Answer::Deny } else { Answer::Approve },
                comment: row.get(4)?,
                accepted: row.get(5)?,
                reason: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn add_message(
        &self,
        request_id: &str,
        channel: &str,
        conversation: &str,
        ts: &str,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO chat_messages (request_id, channel, conversation, ts) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![request_id, channel, conversation, ts],
        )?;
        Ok(())
    }

    fn messages(&self, request_id: &str, channel: &str) -> Result<Vec<(String, String)>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT conversation, ts FROM chat_messages WHERE request_id = ?1 AND channel = ?2 ORDER BY rowid",
        )?;
        let rows = statement.query_map(params![request_id, channel], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
