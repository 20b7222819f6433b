-- Requests waiting for (or given) a human's decision, and every answer ever posted.
CREATE TABLE requests (
    id TEXT PRIMARY KEY NOT NULL,
    -- The host name its token proved.
    host TEXT NOT NULL,
    -- The NewRequest body as JSON.
    body TEXT NOT NULL,
    -- The route's plan (decide::Plan) as JSON, fixed when the request arrived.
    plan TEXT NOT NULL,
    created TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    state TEXT NOT NULL,
    -- The SignedDecision as JSON text, once approved or denied.
    signed TEXT,
    -- Why it was withdrawn or expired.
    note TEXT,
    finished TEXT
) STRICT;
CREATE INDEX requests_state_deadline ON requests (state, deadline);

-- The broker's own log: every decision attempt, accepted or refused, with the reason.
CREATE TABLE attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL,
    time TEXT NOT NULL,
    person TEXT NOT NULL,
    channel TEXT NOT NULL,
    answer TEXT NOT NULL,
    comment TEXT,
    accepted INTEGER NOT NULL,
    reason TEXT NOT NULL
) STRICT;
CREATE INDEX attempts_request ON attempts (request_id, seq);
