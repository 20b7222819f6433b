-- Where each chat channel posted a request's message, so every copy can be updated later, after
-- a restart too.
CREATE TABLE chat_messages (
    request_id TEXT NOT NULL,
    -- The gate channel's name ([[channels]] name).
    channel TEXT NOT NULL,
    -- The chat's own address of the copy: a Slack conversation id and message ts.
    conversation TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (request_id, channel, conversation, ts)
) STRICT;
